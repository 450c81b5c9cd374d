/** The durable queue between the API and the dispatcher (SQS in production). */
export interface DispatchMessage {
  taskId: string;
  /** How many times the task was deferred because ComfyUI was full (drives the growing delay). */
  deferrals?: number;
}

export interface TaskQueue {
  /** Enqueue a task for dispatch, optionally delayed (seconds, 0..900). */
  send(message: DispatchMessage, delaySeconds?: number): Promise<void>;
  /** Enqueue several at once (batched by the adapter). */
  sendMany(items: { message: DispatchMessage; delaySeconds?: number }[]): Promise<void>;
}
