/**
 * What makes the GPU fleet follow the queue: the fleet controller function, built from its manifest
 * (functions/fleet-controller/manifest.ts: in the VPC, the tasks table for the registry and its
 * lease, the dispatch queue's length, control of this group only), started by its schedule and by
 * the group's drain lifecycle events. The dispatcher's kick (a task that finds no GPU up) is the
 * dispatcher manifest's invoke of this function.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import type { FunctionManifest } from '../../shared/manifest.js';
import type { ComfyFleet } from './comfy-fleet.js';
import { createManifestFunction, type ManifestFunctionProps } from './manifest-function.js';
import type { ServiceFunction } from './service-function.js';

export interface FleetControlProps extends Omit<ManifestFunctionProps, 'manifest'> {
  readonly fleet: ComfyFleet;
  /** functions/fleet-controller/manifest.ts */
  readonly manifest: FunctionManifest;
  /**
   * A GPU with no prompts for this long is stopped (down to the fleet's minGpus).
   * @default Duration.minutes(10)
   */
  readonly idleTime?: Duration;
  /**
   * `idleTime` is the longest a GPU is kept idle; one recent demand would not bring a prompt within
   * `startTime` is stopped as soon as it is empty.
   * @default false
   */
  readonly idleFollowsDemand?: boolean;
}

export class FleetControl extends Construct {
  public readonly controller: ServiceFunction;

  constructor(scope: Construct, id: string, props: FleetControlProps) {
    super(scope, id);
    const { fleet, manifest } = props;
    if (manifest.trigger.kind !== 'schedule')
      throw new Error(`${manifest.name}: the fleet controller runs on a schedule`);
    this.controller = createManifestFunction(this, 'Controller', {
      ...props,
      environment: {
        // The controller weighs scale-outs and idle GPUs against it; a function environment may override it.
        FLEET_START_SECONDS: String(fleet.startTime.toSeconds()),
        ...props.environment,
        FLEET_IDLE_FOLLOWS_DEMAND: String(props.idleFollowsDemand ?? false),
        FLEET_MIN_GPUS: String(fleet.minGpus),
        FLEET_MAX_GPUS: String(fleet.maxGpus),
        FLEET_IDLE_SECONDS: String((props.idleTime ?? Duration.minutes(10)).toSeconds()),
      },
      resources: { ...props.resources, gpuFleets: { gpus: fleet } },
    });
    const fn = this.controller.fn;
    Validations.of(this.controller).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'autoscaling:DescribeAutoScalingGroups and ec2:DescribeInstances have no resource-level permissions; every action that changes anything is scoped to this group.',
    });
    new Rule(this, 'Schedule', {
      description: 'Starts the comfy-serverless fleet controller',
      schedule: Schedule.rate(Duration.minutes(manifest.trigger.rateMinutes)),
      targets: [new LambdaFunction(fn, { retryAttempts: 0 })],
    });
    new Rule(this, 'DrainEvents', {
      description: 'A GPU of the fleet is terminating: the controller drains it',
      eventPattern: {
        source: ['aws.autoscaling'],
        detailType: ['EC2 Instance-terminate Lifecycle Action'],
        detail: { AutoScalingGroupName: [fleet.groupName] },
      },
      targets: [new LambdaFunction(fn, { retryAttempts: 2 })],
    });
  }
}
