/**
 * The fleet registry's ready servers, as the dispatcher and the poller see them: with
 * COMFYUI_SERVERS=fleet, read from the tasks table at most once per FLEET_REGISTRY_CACHE_MS;
 * otherwise none (the servers are COMFYUI_URLS).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoFleetRegistry } from '../adapters/dynamodb/fleet-registry.js';
import type { Config } from '../config.js';
import { registryView } from '../fleet/registry-view.js';
import type { Clock } from '../ports/clock.js';

export const fleetServersFor = (
  config: Pick<Config, 'COMFYUI_SERVERS' | 'TASKS_TABLE_NAME' | 'FLEET_REGISTRY_CACHE_MS'>,
  doc: DynamoDBDocumentClient,
  clock: Clock,
) =>
  config.COMFYUI_SERVERS === 'fleet'
    ? registryView(
        new DynamoFleetRegistry({ doc, tableName: config.TASKS_TABLE_NAME, clock }),
        clock,
        config.FLEET_REGISTRY_CACHE_MS,
      )
    : undefined;
