/** Lambda entry (CDK): configuration and adapters, built once per container. */
import { buildFleetControllerDeps } from '../../shared/composition/fleet-controller.js';
import { loadConfig } from '../../shared/config.js';
import { createHandler } from './handler.js';

export const handler = createHandler(buildFleetControllerDeps(loadConfig()));
