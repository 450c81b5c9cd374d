/** Lambda entry (CDK): config and dependencies, built once per container. */
import { loadFunctionConfig } from '../../shared/manifest.js';
import { buildDeps } from './deps.js';
import { createHandler } from './handler.js';
import { manifest } from './manifest.js';

export const handler = createHandler(buildDeps(loadFunctionConfig(manifest)));
