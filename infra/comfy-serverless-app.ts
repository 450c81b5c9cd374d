/**
 * The product's stacks, wired together. infra/bin/app.ts calls this with the parsed context; the
 * infra tests call it with test settings, so both build exactly the same tree.
 */
import { Duration, type Environment, Validations } from 'aws-cdk-lib';
import { type IMachineImage, OperatingSystemType, UserData } from 'aws-cdk-lib/aws-ec2';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { AwsSolutionsPlugin } from './nag.js';
import type { DeploySettings } from './settings.js';
import { StatefulStack } from './stacks/stateful-stack.js';
import { StatelessStack, type StatelessStackProps } from './stacks/stateless-stack.js';

export interface ComfyServerlessStacks {
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
}

export interface DefineStacksOptions {
  /** Account and region (unset: environment-agnostic stacks). */
  readonly env?: Environment;
  /** Test hook: where each function's entry is. */
  readonly functionEntry?: StatelessStackProps['functionEntry'];
}

export function defineStacks(
  scope: Construct,
  settings: DeploySettings,
  options: DefineStacksOptions = {},
): ComfyServerlessStacks {
  const env = options.env ?? {};
  const prefix = settings.stackPrefix;
  const stateful = new StatefulStack(scope, `${prefix}-Stateful`, {
    env,
    description: 'comfy-serverless: tasks table, API keys table, outputs bucket (retained)',
    corsOrigins: settings.corsOrigins,
  });
  const stateless = new StatelessStack(scope, `${prefix}-Stateless`, {
    env,
    description:
      'comfy-serverless: HTTP API, functions, dispatch queue, poller, ComfyUI GPU fleet on EC2',
    tasksTable: stateful.tasksTable,
    apiKeysTable: stateful.apiKeysTable,
    outputsBucket: stateful.outputsBucket,
    auth:
      settings.authMode === 'jwt'
        ? { mode: 'jwt', issuer: settings.jwtIssuer ?? '', audience: settings.jwtAudience }
        : { mode: 'apiKey', cacheSeconds: settings.authorizerCacheSeconds },
    corsOrigins: settings.corsOrigins,
    throttle: { rateLimit: settings.apiRateLimit, burstLimit: settings.apiBurstLimit },
    natGateway: settings.natGateway,
    availabilityZones: settings.availabilityZones,
    comfy: {
      minGpus: settings.minGpus,
      maxGpus: settings.maxGpus,
      warmPoolSize: settings.warmPool,
      ...(settings.spotTypes.length ? { spotTypes: settings.spotTypes } : {}),
      customNodes: settings.customNodes,
      instanceType: settings.instanceType,
      volumeSizeGiB: settings.volumeSize,
      comfyuiRef: settings.comfyuiRef,
      models: settings.models,
      torchIndexUrl: settings.torchIndexUrl,
      cleanupAfterHours: settings.comfyCleanupHours,
      ...(settings.amiId ? { machineImage: pinnedImage(settings.amiId) } : {}),
    },
    gpuIdleTime: Duration.minutes(settings.gpuIdleMinutes),
    gpuIdleFollowsDemand: settings.gpuIdleFollowsDemand,
    gpuCapacityWait: Duration.minutes(settings.gpuCapacityWaitMinutes),
    dispatchMaxConcurrency: settings.dispatchMaxConcurrency,
    pollerReservedConcurrency: settings.pollerReservedConcurrency === 1,
    environment: settings.functionEnv,
    alarmEmail: settings.alarmEmail,
    logRetention: settings.logRetentionDays as RetentionDays,
    functionEntry: options.functionEntry,
  });
  return { stateful, stateless };
}

/** cdk-nag's AwsSolutions pack (infra/nag.ts): any unacknowledged finding fails the synth. */
export function addNagChecks(app: Construct): void {
  Validations.of(app).addPlugins(new AwsSolutionsPlugin());
}

/** An AMI id used as is, in whatever region the stack deploys to (AMI ids are regional). */
const pinnedImage = (imageId: string): IMachineImage => ({
  getImage: () => ({ imageId, osType: OperatingSystemType.LINUX, userData: UserData.forLinux() }),
});
