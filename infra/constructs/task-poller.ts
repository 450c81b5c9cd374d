/**
 * The poller: an EventBridge schedule (the rate of its manifest) starts it; each run polls ComfyUI's
 * /queue and /history for the tasks at ComfyUI for up to POLLER_RUN_MS, copies finished outputs from
 * /view into S3, and re-queues tasks ComfyUI lost. A lease item in the tasks table keeps runs from
 * overlapping; reserved concurrency 1 can enforce it a second time.
 */
import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionManifest } from '../../shared/manifest.js';
import {
  createManifestFunction,
  type FunctionResources,
  type ManifestFunctionProps,
} from './manifest-function.js';
import type { FunctionEnvironment, ServiceFunction } from './service-function.js';

export interface TaskPollerProps {
  /** functions/poller's manifest (a schedule trigger). */
  readonly manifest: FunctionManifest;
  readonly resources: FunctionResources;
  /** Deployment-supplied config (the poller gets what its manifest reads). */
  readonly environment: FunctionEnvironment;
  readonly network: ManifestFunctionProps['network'];
  /**
   * Reserve (and cap) the poller's concurrency at 1. Accounts with the default concurrency quota of
   * 10 cannot reserve any: deployment fails there, so this is opt-in; the lease already serialises
   * runs.
   * @default false
   */
  readonly reserveConcurrency?: boolean;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /** @default functions/<name>/index.ts */
  readonly entry?: (name: string) => string;
}

export class TaskPoller extends Construct {
  public readonly poller: ServiceFunction;
  public readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: TaskPollerProps) {
    super(scope, id);
    const { manifest } = props;
    if (manifest.trigger.kind !== 'schedule') throw new Error(`${manifest.name} has no schedule`);
    this.poller = createManifestFunction(this, 'Poller', {
      manifest,
      resources: props.resources,
      environment: props.environment,
      network: props.network,
      reservedConcurrentExecutions: props.reserveConcurrency ? 1 : undefined,
      logRetention: props.logRetention,
      entry: props.entry,
    });
    this.schedule = new Rule(this, 'Schedule', {
      description: 'Starts the comfy-serverless poller',
      schedule: Schedule.rate(Duration.minutes(manifest.trigger.rateMinutes)),
      targets: [
        // A missed run is not retried: the next one starts within the period anyway.
        new LambdaFunction(this.poller.fn, {
          retryAttempts: 0,
          maxEventAge: Duration.minutes(manifest.trigger.rateMinutes),
        }),
      ],
    });
  }
}
