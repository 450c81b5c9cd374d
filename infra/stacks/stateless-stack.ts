/**
 * Everything that can be destroyed and recreated without losing data: the HTTP API and its functions,
 * the dispatch pipeline, the poller, the ComfyUI GPU fleet with its controller and its VPC, alarms and
 * the dashboard. The
 * tables and the bucket come from the stateful stack as object references; every permission is a
 * grant scoped to them (and to key prefixes of the bucket).
 */
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Port, SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { API_ROUTES, FUNCTIONS, manifestOf } from '../../functions/manifests.js';
import type { FunctionManifest } from '../../shared/manifest.js';
import { ComfyFleet, type ComfyFleetProps } from '../constructs/comfy-fleet.js';
import { ComfyNetwork } from '../constructs/comfy-network.js';
import { DispatchPipeline } from '../constructs/dispatch-pipeline.js';
import { FleetControl } from '../constructs/fleet-control.js';
import {
  createManifestFunction,
  type FunctionResources,
  grantFunctionInvokes,
} from '../constructs/manifest-function.js';
import type { FunctionEnvironment, ServiceFunction } from '../constructs/service-function.js';
import { TaskApi } from '../constructs/task-api.js';
import { TaskMonitoring } from '../constructs/task-monitoring.js';
import { TaskPoller } from '../constructs/task-poller.js';
import { functionEntry } from '../paths.js';

export type StatelessAuth =
  | { readonly mode: 'apiKey'; readonly cacheSeconds?: number }
  | { readonly mode: 'jwt'; readonly issuer: string; readonly audience: readonly string[] };

export interface StatelessStackProps extends StackProps {
  readonly tasksTable: ITable;
  readonly apiKeysTable: ITable;
  readonly outputsBucket: IBucket;
  /**
   * API keys (Lambda authorizer) or JWTs (API Gateway's JWT authorizer).
   * @default { mode: 'apiKey' }
   */
  readonly auth?: StatelessAuth;
  /**
   * Browser origins allowed to call the API.
   * @default []
   */
  readonly corsOrigins?: readonly string[];
  /**
   * Stage-wide requests per second, and burst.
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * NAT gateway for the instance's first-boot downloads (see ComfyNetwork).
   * @default true
   */
  readonly natGateway?: boolean;
  /**
   * Availability zones of the VPC (the GPU fleet may launch in any of them).
   * @default - the first two zones of the region
   */
  readonly availabilityZones?: readonly string[];
  /**
   * The GPU fleet (GPUs from min to max, instance type or spot types, warm pool, volume, ComfyUI ref,
   * models, custom nodes, image).
   * @default - ComfyFleet defaults (0 to 2 g6.xlarge)
   */
  readonly comfy?: Omit<ComfyFleetProps, 'vpc' | 'vpcSubnets' | 'clients'>;
  /**
   * A GPU with no prompts for this long is stopped (down to minGpus).
   * @default Duration.minutes(10)
   */
  readonly gpuIdleTime?: Duration;
  /**
   * `gpuIdleTime` is the longest a GPU is kept idle: one that recent demand would not bring a prompt
   * within a start is stopped as soon as it is empty.
   * @default false
   */
  readonly gpuIdleFollowsDemand?: boolean;
  /**
   * Longest a task waits for a GPU to start before it fails NO_GPU_CAPACITY.
   * @default Duration.minutes(15)
   */
  readonly gpuCapacityWait?: Duration;
  /**
   * Most concurrent dispatcher invocations.
   * @default 2
   */
  readonly dispatchMaxConcurrency?: number;
  /**
   * Reserve concurrency 1 for the poller (fails on accounts with a concurrency quota of 10).
   * @default false
   */
  readonly pollerReservedConcurrency?: boolean;
  /**
   * Operator configuration (e.g. MAX_IN_FLIGHT); each function gets the variables its manifest reads.
   * @default {}
   */
  readonly environment?: FunctionEnvironment;
  /**
   * Email subscribed to the alarm topic.
   * @default - none
   */
  readonly alarmEmail?: string;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Where each function's entry is.
   * @default functions/<name>/index.ts
   */
  readonly functionEntry?: (name: string) => string;
  /**
   * The functions to deploy.
   * @default FUNCTIONS (functions/manifests.ts)
   */
  readonly functions?: readonly FunctionManifest[];
}

export class StatelessStack extends Stack {
  public readonly network: ComfyNetwork;
  public readonly comfy: ComfyFleet;
  public readonly fleetControl: FleetControl;
  public readonly pipeline: DispatchPipeline;
  public readonly poller: TaskPoller;
  public readonly api: TaskApi;
  public readonly monitoring: TaskMonitoring;
  /** The API functions by folder name (submit, status, ..., authorizer in API key mode). */
  public readonly apiFunctions: Record<string, ServiceFunction> = {};

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const entry = props.functionEntry ?? functionEntry;
    const auth = props.auth ?? { mode: 'apiKey' };
    const logRetention = props.logRetention;
    const { tasksTable, apiKeysTable, outputsBucket: bucket } = props;

    this.network = new ComfyNetwork(this, 'Network', {
      natGateway: props.natGateway,
      availabilityZones: props.availabilityZones,
    });
    const { vpc } = this.network;
    const comfyClients = new SecurityGroup(this, 'ComfyClients', {
      vpc,
      description:
        'The dispatcher, the poller and the fleet controller: ComfyUI and AWS APIs (HTTPS) only',
      allowAllOutbound: false,
    });
    this.comfy = new ComfyFleet(this, 'Comfy', {
      ...props.comfy,
      vpc,
      vpcSubnets: this.network.privateSubnets,
      clients: comfyClients,
    });
    comfyClients.connections.allowTo(this.comfy.securityGroup, this.comfy.port, 'ComfyUI');
    // AWS APIs: SQS through its interface endpoint, S3 and DynamoDB through gateway endpoints
    // (their public address ranges, hence any IPv4 on 443).
    comfyClients.connections.allowToAnyIpv4(Port.tcp(443), 'AWS APIs through the VPC endpoints');
    this.network.sqsEndpoint.connections.allowDefaultPortFrom(comfyClients);
    for (const ep of this.network.sessionManagerEndpoints) {
      ep.connections.allowDefaultPortFrom(this.comfy.securityGroup);
    }
    for (const ep of this.network.fleetControlEndpoints)
      ep.connections.allowDefaultPortFrom(comfyClients);

    // Deployment-supplied config; each function gets only the variables its manifest reads, and the
    // names of the resources it uses.
    // The servers are the fleet's, read from its registry (COMFYUI_URLS is for servers of your own).
    const environment: FunctionEnvironment = {
      ...props.environment,
      COMFYUI_URLS: '',
      COMFYUI_SERVERS: 'fleet',
      FLEET_CAPACITY_WAIT_SECONDS: String(
        (props.gpuCapacityWait ?? Duration.minutes(15)).toSeconds(),
      ),
    };
    const network = {
      vpc,
      subnets: this.network.privateSubnets,
      securityGroup: comfyClients,
    };
    const stateful = {
      tables: { tasks: tasksTable, apiKeys: apiKeysTable },
      buckets: { outputs: bucket },
    };
    const manifests = props.functions ?? FUNCTIONS;
    const common = { environment, network, logRetention, entry };

    this.pipeline = new DispatchPipeline(this, 'Dispatch', {
      ...common,
      consumers: manifests.filter((m) => m.trigger.kind === 'sqs'),
      resources: stateful,
      maxConcurrency: props.dispatchMaxConcurrency,
    });
    const resources: FunctionResources = {
      ...stateful,
      queues: this.pipeline.queues,
    };
    const pollerManifest = manifests.find((m) => m.name === 'poller');
    if (!pollerManifest) throw new Error('no poller function');
    this.poller = new TaskPoller(this, 'Polling', {
      ...common,
      manifest: pollerManifest,
      resources,
      reserveConcurrency: props.pollerReservedConcurrency,
    });

    // API functions (and the authorizer in API key mode) at the top level of the stack.
    for (const manifest of manifests) {
      const { kind } = manifest.trigger;
      if (kind !== 'http' && !(kind === 'authorizer' && auth.mode === 'apiKey')) continue;
      this.apiFunctions[manifest.name] = createManifestFunction(this, pascal(manifest.name), {
        ...common,
        manifest,
        resources,
      });
    }
    const controllerManifest = manifestOf('fleet-controller');
    this.fleetControl = new FleetControl(this, 'Fleet', {
      ...common,
      manifest: controllerManifest,
      fleet: this.comfy,
      resources,
      idleTime: props.gpuIdleTime,
      idleFollowsDemand: props.gpuIdleFollowsDemand ?? false,
    });

    const byName = new Map([...manifests, controllerManifest].map((m) => [m.name, m]));
    const deployed = new Map<string, { manifest: FunctionManifest; fn: ServiceFunction }>();
    for (const [name, fn] of [
      ...this.pipeline.consumers,
      [pollerManifest.name, this.poller.poller] as const,
      [controllerManifest.name, this.fleetControl.controller] as const,
      ...Object.entries(this.apiFunctions),
    ]) {
      const manifest = byName.get(name);
      if (manifest) deployed.set(name, { manifest, fn });
    }
    grantFunctionInvokes(deployed);
    if (manifests.some((m) => m.vpc && m.resources.some((r) => 'function' in r))) {
      this.network.lambdaEndpoint?.connections.allowDefaultPortFrom(comfyClients);
    }

    const authorizerManifest = manifests.find((m) => m.trigger.kind === 'authorizer');
    const authorizer = authorizerManifest && this.apiFunctions[authorizerManifest.name];
    this.api = new TaskApi(this, 'Api', {
      routes: API_ROUTES,
      handlers: Object.fromEntries(
        Object.entries(this.apiFunctions).map(([name, fn]) => [name, fn.fn]),
      ),
      auth:
        auth.mode === 'apiKey' && authorizer && authorizerManifest?.trigger.kind === 'authorizer'
          ? {
              mode: 'apiKey',
              authorizer: authorizer.fn,
              identitySource: authorizerManifest.trigger.identitySource,
              cacheTtl: Duration.seconds(
                auth.cacheSeconds ?? authorizerManifest.trigger.resultsCacheTtlSeconds,
              ),
            }
          : (auth as Extract<StatelessAuth, { mode: 'jwt' }>),
      corsOrigins: props.corsOrigins,
      rateLimit: props.throttle?.rateLimit,
      burstLimit: props.throttle?.burstLimit,
      accessLogRetention: logRetention,
    });

    this.monitoring = new TaskMonitoring(this, 'Monitoring', {
      dispatcher: this.pipeline.consumer('dispatcher').fn,
      poller: this.poller.poller.fn,
      otherFunctions: [...deployed.values()]
        .map((d) => d.fn.fn)
        .filter(
          (fn) => fn !== this.pipeline.consumer('dispatcher').fn && fn !== this.poller.poller.fn,
        ),
      queue: this.pipeline.queue,
      deadLetterQueue: this.pipeline.deadLetterQueue,
      webhookDeadLetterQueue: this.pipeline.webhookDeadLetterQueue,
      api: this.api.api,
      gpuGroupName: this.comfy.groupName,
      alarmEmail: props.alarmEmail,
    });

    this.addOutputs(auth, apiKeysTable, bucket, tasksTable);
  }

  private addOutputs(
    auth: StatelessAuth,
    apiKeysTable: ITable,
    bucket: IBucket,
    tasksTable: ITable,
  ) {
    const out = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    out('ApiUrl', this.api.url, 'Base URL of the task API (routes under v1/)');
    out('OutputsBucketName', bucket.bucketName, 'Bucket holding outputs, uploads and workflows');
    out('GpuGroupName', this.comfy.groupName, 'The Auto Scaling group of ComfyUI GPU instances');
    out(
      'GpuInstancesCommand',
      `aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names ${this.comfy.groupName} --region ${this.region} --query 'AutoScalingGroups[0].Instances'`,
      'Lists the GPU instances (shell on one: aws ssm start-session --target <InstanceId>; setup log /var/log/comfyui-setup.log)',
    );
    out(
      'FleetStatusCommand',
      `TASKS_TABLE_NAME=${tasksTable.tableName} DISPATCH_QUEUE_URL=${this.pipeline.queue.queueUrl} AWS_REGION=${this.region} npm run fleet -- status`,
      'Run from the repository: the GPU servers, their states and the backlog',
    );
    out('AlarmTopicArn', this.monitoring.topic.topicArn, 'Subscribe to receive the alarms');
    out(
      'DashboardUrl',
      `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${this.monitoring.dashboard.dashboardName}`,
      'CloudWatch dashboard of the task pipeline',
    );
    if (auth.mode === 'apiKey') {
      out('ApiKeysTableName', apiKeysTable.tableName, 'Table of hashed API keys');
      out(
        'CreateApiKeyCommand',
        createKeyCommand(apiKeysTable.tableName, this.region),
        'Run from the repository to create the first API key (printed once)',
      );
    }
  }
}

/** The command that creates an API key with scripts/keys.ts. */
const createKeyCommand = (table: string, region: string) =>
  `npm run keys -- create --owner <you> --table ${table} --region ${region}`;

const pascal = (name: string) =>
  name.replace(/(^|-)([a-z])/g, (_m, _dash, c: string) => c.toUpperCase());
