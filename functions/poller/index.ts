import { buildPollerDeps } from '../../shared/composition/poller.js';
import { loadConfig } from '../../shared/config.js';
import { createHandler } from './handler.js';

export const handler = createHandler(buildPollerDeps(loadConfig()));
