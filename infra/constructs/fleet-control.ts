/**
 * What makes the GPU fleet follow the queue: the fleet controller function (in the VPC: it asks each
 * ComfyUI's /queue), started every minute, by the group's drain lifecycle events, and by the
 * dispatcher when a task finds no GPU up; its grants (the tasks table for the registry and its lease,
 * the queue's length, this group only); and the dispatcher's and poller's switch from a fixed server
 * list to the fleet registry.
 */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ComfyFleet } from './comfy-fleet.js';
import { DRAIN_HOOK_NAME } from './comfy-fleet.js';
import { type FunctionEnvironment, ServiceFunction } from './service-function.js';

/** One invocation ticks for this long (the schedule starts one a minute). */
const CONTROLLER_RUN_MS = 50_000;
const CONTROLLER_TIMEOUT_SECONDS = 70;

export interface FleetControlProps {
  readonly fleet: ComfyFleet;
  /** Entry of functions/fleet-controller. */
  readonly entry: string;
  readonly tasksTable: ITable;
  /** The dispatch queue: its length is the backlog. */
  readonly queue: IQueue;
  /** Shared configuration (table, queue, ...). */
  readonly environment: FunctionEnvironment;
  readonly vpc: IVpc;
  readonly vpcSubnets: SubnetSelection;
  /** The group ComfyUI admits on its port. */
  readonly securityGroup: ISecurityGroup;
  /** Functions that read the servers from the registry instead of COMFYUI_URLS. */
  readonly dispatcher: IFunction & { addEnvironment(k: string, v: string): unknown };
  readonly poller: IFunction & { addEnvironment(k: string, v: string): unknown };
  /**
   * A GPU with no prompts for this long is stopped.
   * @default Duration.minutes(10)
   */
  readonly idleTime?: Duration;
  /**
   * Longest a task waits for a GPU before it fails NO_GPU_CAPACITY.
   * @default Duration.minutes(15)
   */
  readonly capacityWait?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

export class FleetControl extends Construct {
  public readonly controller: ServiceFunction;

  constructor(scope: Construct, id: string, props: FleetControlProps) {
    super(scope, id);
    const { fleet } = props;
    const capacityWait = String((props.capacityWait ?? Duration.minutes(15)).toSeconds());
    this.controller = new ServiceFunction(this, 'Controller', {
      entry: props.entry,
      description:
        'Sizes the ComfyUI GPU group to the queue (every minute, on kicks and drain events)',
      timeout: Duration.seconds(CONTROLLER_TIMEOUT_SECONDS),
      memorySize: 256,
      environment: {
        ...props.environment,
        COMFYUI_SERVERS: 'fleet',
        FLEET_GROUP_NAME: fleet.group.autoScalingGroupName,
        FLEET_DRAIN_HOOK_NAME: DRAIN_HOOK_NAME,
        FLEET_MIN_GPUS: String(fleet.minGpus),
        FLEET_MAX_GPUS: String(fleet.maxGpus),
        FLEET_IDLE_SECONDS: String((props.idleTime ?? Duration.minutes(10)).toSeconds()),
        FLEET_CONTROLLER_RUN_MS: String(CONTROLLER_RUN_MS),
      },
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: [props.securityGroup],
      // One at a time is the lease's job; this caps what a burst of kicks can start.
      logRetention: props.logRetention,
    });
    const fn = this.controller.fn;
    props.tasksTable.grantReadWriteData(fn); // the registry item and the controller's lease
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['sqs:GetQueueAttributes'],
        resources: [props.queue.queueArn],
      }),
    );
    fleet.grantControl(fn);

    new Rule(this, 'Schedule', {
      description: 'Starts the comfy-serverless fleet controller',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(fn, { retryAttempts: 0 })],
    });
    new Rule(this, 'DrainEvents', {
      description: 'A GPU of the fleet is terminating: the controller drains it',
      eventPattern: {
        source: ['aws.autoscaling'],
        detailType: ['EC2 Instance-terminate Lifecycle Action'],
        detail: { AutoScalingGroupName: [fleet.group.autoScalingGroupName] },
      },
      targets: [new LambdaFunction(fn, { retryAttempts: 2 })],
    });

    for (const f of [props.dispatcher, props.poller]) f.addEnvironment('COMFYUI_SERVERS', 'fleet');
    props.dispatcher.addEnvironment('FLEET_CAPACITY_WAIT_SECONDS', capacityWait);
    // A task that finds no GPU up starts the controller at once (not grantInvoke: the function only).
    props.dispatcher.addEnvironment('FLEET_CONTROLLER_FUNCTION_NAME', fn.functionName);
    props.dispatcher.addToRolePolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }),
    );
  }
}
