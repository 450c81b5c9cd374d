import { buildWebhookSenderDeps } from '../../shared/composition/webhooks.js';
import { loadConfig } from '../../shared/config.js';
import { createHandler } from './handler.js';

export const handler = createHandler(buildWebhookSenderDeps(loadConfig()));
