/**
 * When SQS shows a received message again. The dispatcher uses it to back off retries of messages it
 * could not process (ComfyUI unreachable), instead of waiting out the queue's long visibility
 * timeout, which exists for crashed invocations. SQS in production (ChangeMessageVisibilityBatch).
 */
/** The longest visibility timeout SQS accepts (12 hours). */
export const MAX_VISIBILITY_SECONDS = 43_200;

export interface VisibilityChange {
  receiptHandle: string;
  /** From now until the message is visible again (0..MAX_VISIBILITY_SECONDS). */
  seconds: number;
}

export interface MessageVisibility {
  /** Best effort: a change that fails leaves the queue's default visibility timeout in place. */
  change(items: readonly VisibilityChange[]): Promise<void>;
}
