/**
 * A function built from its manifest (functions/<name>/manifest.ts): a ServiceFunction with the
 * manifest's description, timeout and memory, the environment variables the manifest reads and no
 * other, and one grant per resource use. Invoke grants between functions come after every function
 * exists (`grantFunctionInvokes`).
 */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { ConfigKey } from '../../shared/config.js';
import { type FunctionManifest, resourceVariable } from '../../shared/manifest.js';
import {
  type BucketName,
  type QueueName,
  RATE_LIMIT_KEY_PREFIX,
  type TableName,
} from '../../shared/resources.js';
import { functionEntry } from '../paths.js';
import { type FunctionEnvironment, ServiceFunction } from './service-function.js';

/** The stateful and messaging resources manifests name. */
export interface FunctionResources {
  readonly tables: Readonly<Record<TableName, ITable>>;
  readonly buckets: Readonly<Record<BucketName, IBucket>>;
  readonly queues: Readonly<Record<QueueName, IQueue>>;
  /** The GPU fleet (ComfyFleet), for the functions that control it. */
  readonly gpuFleets?: Readonly<Record<'gpus', GpuFleetResource>>;
}

/** What a manifest's `gpuFleet` use needs of the fleet. */
interface GpuFleetResource {
  readonly groupName: string;
  grantControl(grantee: IGrantable): void;
}

export interface ManifestFunctionProps {
  readonly manifest: FunctionManifest;
  readonly resources: FunctionResources;
  /**
   * Values for config variables the deployment supplies (operator settings, COMFYUI_URLS). Each
   * function gets only those its manifest reads; resource names come from `resources`.
   * @default {}
   */
  readonly environment?: FunctionEnvironment;
  /** Required when the manifest says `vpc: true`. */
  readonly network?: {
    readonly vpc: IVpc;
    readonly subnets: SubnetSelection;
    readonly securityGroup: ISecurityGroup;
  };
  /**
   * Concurrency reserved for (and capped at) this number.
   * @default - none
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Where the function's entry is.
   * @default functions/<name>/index.ts
   */
  readonly entry?: (name: string) => string;
}

/** The environment a function gets: the values of the variables its manifest reads, and no other. */
function manifestEnvironment(
  manifest: FunctionManifest,
  resources: FunctionResources,
  supplied: FunctionEnvironment = {},
): FunctionEnvironment {
  const values: Partial<Record<ConfigKey, string>> = { ...manifest.environment, ...supplied };
  for (const use of manifest.resources) {
    const variable = resourceVariable(use);
    if (!variable) continue;
    if ('table' in use) values[variable] = resources.tables[use.table].tableName;
    else if ('bucket' in use) values[variable] = resources.buckets[use.bucket].bucketName;
    else if ('queue' in use) values[variable] = resources.queues[use.queue].queueUrl;
    else if ('gpuFleet' in use) values[variable] = gpuFleet(manifest, resources).groupName;
  }
  const env: FunctionEnvironment = {};
  for (const key of manifest.config) {
    const value = values[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

export function createManifestFunction(
  scope: Construct,
  id: string,
  props: ManifestFunctionProps,
): ServiceFunction {
  const { manifest, resources } = props;
  if (manifest.vpc && !props.network)
    throw new Error(`${manifest.name} runs in the VPC: no network`);
  const network = manifest.vpc ? props.network : undefined;
  const created = new ServiceFunction(scope, id, {
    entry: (props.entry ?? functionEntry)(manifest.name),
    description: manifest.description,
    timeout: Duration.seconds(manifest.timeoutSeconds),
    memorySize: manifest.memoryMb,
    environment: manifestEnvironment(manifest, resources, props.environment),
    logRetention: props.logRetention,
    ...(network
      ? {
          vpc: network.vpc,
          vpcSubnets: network.subnets,
          securityGroups: [network.securityGroup],
        }
      : {}),
    reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    ...(manifest.nativeModules ? { nativeModules: manifest.nativeModules } : {}),
  });
  grantResources(created.fn, manifest, resources);
  return created;
}

/** The grants of every resource use of the manifest (function invokes aside). */
function grantResources(fn: IFunction, manifest: FunctionManifest, r: FunctionResources): void {
  for (const use of manifest.resources) {
    if ('table' in use) {
      const table = r.tables[use.table];
      if (use.access === 'read') table.grantReadData(fn);
      else if (use.access === 'rateLimit') {
        fn.addToRolePolicy(
          new PolicyStatement({
            actions: ['dynamodb:UpdateItem'],
            resources: [table.tableArn],
            conditions: {
              'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${RATE_LIMIT_KEY_PREFIX}*`] },
            },
          }),
        );
      } else table.grantReadWriteData(fn);
    } else if ('queue' in use) {
      const queue = r.queues[use.queue];
      if (use.access === 'send') queue.grantSendMessages(fn);
      else if (use.access === 'changeVisibility') queue.grant(fn, 'sqs:ChangeMessageVisibility');
      else queue.grant(fn, 'sqs:GetQueueAttributes');
    } else if ('gpuFleet' in use) {
      gpuFleet(manifest, r).grantControl(fn);
    } else if ('bucket' in use) {
      const bucket = r.buckets[use.bucket];
      const { keys } = use;
      if (use.access === 'read') bucket.grantRead(fn, keys);
      else if (use.access === 'put') bucket.grantPut(fn, keys);
      else if (use.access === 'delete') bucket.grantDelete(fn, keys);
      else bucket.grantReadWrite(fn, keys);
    }
  }
}

function gpuFleet(manifest: FunctionManifest, r: FunctionResources): GpuFleetResource {
  const fleet = r.gpuFleets?.gpus;
  if (!fleet) throw new Error(`${manifest.name} controls the GPU fleet: no fleet given`);
  return fleet;
}

/**
 * For every `{ function, access: 'invoke' }` use: the target's name in the caller's environment and
 * `lambda:InvokeFunction` on the target itself. Not grantInvoke: it also allows every version and
 * alias (`<arn>:*`); the function itself is all a kick needs.
 */
export function grantFunctionInvokes(
  functions: ReadonlyMap<string, { manifest: FunctionManifest; fn: ServiceFunction }>,
): void {
  for (const { manifest, fn } of functions.values()) {
    for (const use of manifest.resources) {
      if (!('function' in use)) continue;
      const target = functions.get(use.function);
      if (!target)
        throw new Error(`${manifest.name} invokes ${use.function}, which is not deployed`);
      const variable = resourceVariable(use);
      if (variable) fn.fn.addEnvironment(variable, target.fn.fn.functionName);
      fn.fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [target.fn.fn.functionArn],
        }),
      );
    }
  }
}
