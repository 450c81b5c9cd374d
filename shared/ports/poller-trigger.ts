/**
 * Starts the poller now rather than at its next scheduled minute. The dispatcher calls it after it
 * hands tasks to ComfyUI, so a poller that exited while nothing was active is back in time to see
 * them finish (the schedule alone would leave up to a minute of result lag after an idle spell).
 */
export interface PollerTrigger {
  /** Best effort: a failure is logged by the caller, never fatal to dispatching. */
  kick(): Promise<void>;
}

/** The event a kicked poller receives, so it can tell a kick from its schedule. */
export const POLLER_KICK_SOURCE = 'comfy-serverless.dispatcher';
