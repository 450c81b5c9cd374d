/** The durable queue between the API and the dispatcher (SQS in production). */
export interface DispatchMessage {
  taskId: string;
  /** How many times the task was deferred because ComfyUI was full (drives the growing delay). */
  deferrals?: number;
  /** Epoch ms since when the task waits for a GPU to start (no server was up to take it). */
  waitingSince?: number;
}

/** The longest delay a message can be sent with (SQS DelaySeconds: 0 to 900 whole seconds). */
export const MAX_DELAY_SECONDS = 900;

export interface TaskQueue {
  /** Enqueue a task for dispatch, optionally delayed (whole seconds, 0..MAX_DELAY_SECONDS). */
  send(message: DispatchMessage, delaySeconds?: number): Promise<void>;
  /** Enqueue several at once (batched by the adapter). */
  sendMany(items: { message: DispatchMessage; delaySeconds?: number }[]): Promise<void>;
}
