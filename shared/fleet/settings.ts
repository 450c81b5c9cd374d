/** The fleet controller's settings from the parsed configuration. */
import type { Config } from '../config.js';
import type { RunFleetControllerSettings } from '../use-cases/run-fleet-controller.js';

/** The variables the controller's settings come from. */
export const FLEET_SETTINGS_CONFIG = [
  'FLEET_MIN_GPUS',
  'FLEET_MAX_GPUS',
  'FLEET_PROMPTS_PER_GPU',
  'FLEET_IDLE_SECONDS',
  'FLEET_IDLE_FOLLOWS_DEMAND',
  'FLEET_BOOT_TIMEOUT_SECONDS',
  'FLEET_UNRESPONSIVE_SECONDS',
  'FLEET_START_SECONDS',
  'FLEET_PROMPT_SECONDS',
  'FLEET_CONTROLLER_RUN_MS',
  'FLEET_REGISTRY_CACHE_MS',
  'FLEET_TICK_MS',
] as const satisfies readonly (keyof Config)[];

export const fleetSettingsFromConfig = (
  c: Pick<Config, (typeof FLEET_SETTINGS_CONFIG)[number]>,
): RunFleetControllerSettings => ({
  minGpus: c.FLEET_MIN_GPUS,
  maxGpus: c.FLEET_MAX_GPUS,
  promptsPerGpu: c.FLEET_PROMPTS_PER_GPU,
  idleMs: c.FLEET_IDLE_SECONDS * 1000,
  idleFollowsDemand: c.FLEET_IDLE_FOLLOWS_DEMAND,
  bootTimeoutMs: c.FLEET_BOOT_TIMEOUT_SECONDS * 1000,
  unresponsiveMs: c.FLEET_UNRESPONSIVE_SECONDS * 1000,
  startMs: c.FLEET_START_SECONDS * 1000,
  promptMs: c.FLEET_PROMPT_SECONDS * 1000,
  runMs: c.FLEET_CONTROLLER_RUN_MS,
  // The dispatcher may still send to a server it read as ready this long ago.
  drainGraceMs: c.FLEET_REGISTRY_CACHE_MS + 5000,
  tickMs: c.FLEET_TICK_MS,
});
