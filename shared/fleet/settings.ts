/** The fleet controller's settings from the parsed configuration. */
import type { Config } from '../config.js';
import type { RunFleetControllerSettings } from '../use-cases/run-fleet-controller.js';

export const fleetSettingsFromConfig = (c: Config): RunFleetControllerSettings => ({
  minGpus: c.FLEET_MIN_GPUS,
  maxGpus: c.FLEET_MAX_GPUS,
  promptsPerGpu: c.FLEET_PROMPTS_PER_GPU,
  idleMs: c.FLEET_IDLE_SECONDS * 1000,
  bootTimeoutMs: c.FLEET_BOOT_TIMEOUT_SECONDS * 1000,
  startMs: c.FLEET_START_SECONDS * 1000,
  promptMs: c.FLEET_PROMPT_SECONDS * 1000,
  runMs: c.FLEET_CONTROLLER_RUN_MS,
  // The dispatcher may still send to a server it read as ready this long ago.
  drainGraceMs: c.FLEET_REGISTRY_CACHE_MS + 5000,
  tickMs: c.FLEET_TICK_MS,
});
