/** Lambda entry (CDK and the local runtime) of the dead-letter consumer. */
import { buildStorage } from '../../shared/composition/storage.js';
import { loadConfig } from '../../shared/config.js';
import { logger, metrics } from '../../shared/observability.js';
import { createHandler } from './handler.js';

const config = loadConfig();
logger.setLogLevel(config.LOG_LEVEL);
// Large workflows live in S3; the repository reads them back when it returns a task.
const { tasks, clock } = buildStorage(config);

export const handler = createHandler({ tasks, clock, metrics });
