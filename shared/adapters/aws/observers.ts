/**
 * Hands every SDK client the factories build to the registered observers, e.g. so a benchmark can
 * attach a `RequestCounter` to each function's clients. Production code never registers one.
 */
import type { AwsClients } from './clients.js';

/** Called with the clients each factory call builds (a function builds only the ones it uses). */
export type AwsClientsObserver = (clients: Partial<AwsClients>) => void;
const observers = new Set<AwsClientsObserver>();

/** Observes every client built from now on in this process. Returns a function that stops it. */
export function observeAwsClients(observer: AwsClientsObserver): () => void {
  observers.add(observer);
  return () => {
    observers.delete(observer);
  };
}

export function notifyAwsClients(clients: Partial<AwsClients>): void {
  for (const observe of observers) observe(clients);
}
