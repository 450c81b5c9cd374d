/**
 * ComfyUI's live execution events (its `/ws` WebSocket), as the poller uses them: progress of the
 * running prompt, and the moment a prompt ends, so its result is fetched at once instead of at the
 * next poll. Events are hints: the poller's reads of `/queue` and `/history` stay the truth.
 */
export type ComfyEvent =
  | { type: 'execution_start'; promptId: string }
  | { type: 'execution_cached'; promptId: string; nodes: string[] }
  /** A node starts; `node: null` is sent after the history entry is written (the safe "done"). */
  | { type: 'executing'; promptId?: string; node: string | null }
  | { type: 'progress'; promptId?: string; node: string; value: number; max: number }
  | { type: 'executed'; promptId: string; node: string }
  | { type: 'execution_success'; promptId: string }
  | { type: 'execution_error'; promptId: string; nodeId?: string; nodeType?: string }
  | { type: 'execution_interrupted'; promptId: string; nodeId?: string; nodeType?: string }
  | { type: 'status'; queueRemaining: number };

export interface ComfyEventStream {
  /**
   * Stops receiving; resolves once the server has seen the socket close (or after a short wait).
   * ComfyUI forgets a client id when a socket with that id closes, even if a newer socket took the
   * id meanwhile: the next watcher with the same id must connect only after this resolves.
   */
  close(): Promise<void>;
}

export interface ComfyEventSource {
  /**
   * Receive the events of one server (base URL) until closed. Implementations reconnect after a
   * dropped connection; events sent while disconnected are lost (polling covers them).
   */
  watch(server: string, onEvent: (event: ComfyEvent) => void): ComfyEventStream;
}
