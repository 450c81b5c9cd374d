export {
  type ClientOptions,
  ComfyServerlessClient,
  isTerminal,
  type SubmitOptions,
  type TaskStatus,
  TERMINAL_STATUSES,
  type Template,
  type UploadData,
  type UploadOptions,
  type WaitOptions,
  type WebhookTarget,
} from './client.js';
export { ComfyServerlessError } from './errors.js';
export type * from './generated/api.js';
export {
  type VerifyWebhookOptions,
  verifyWebhook,
  type WebhookEvent,
  type WebhookHeaders,
} from './webhooks.js';
