import { buildApiDeps } from '../../shared/composition/api.js';
import { loadConfig } from '../../shared/config.js';
import { createHandler } from './handler.js';

export const handler = createHandler(buildApiDeps(loadConfig()));
