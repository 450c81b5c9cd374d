/**
 * Everything that can be destroyed and recreated without losing data: the HTTP API and its functions,
 * the dispatch pipeline, the poller, the ComfyUI instance and its VPC, alarms and the dashboard. The
 * tables and the bucket come from the stateful stack as object references; every permission is a
 * grant scoped to them (and to key prefixes of the bucket).
 */
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Port, SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { ComfyInstance, type ComfyInstanceProps } from '../constructs/comfy-instance.js';
import { ComfyNetwork } from '../constructs/comfy-network.js';
import { DispatchPipeline } from '../constructs/dispatch-pipeline.js';
import { type FunctionEnvironment, ServiceFunction } from '../constructs/service-function.js';
import { TaskApi } from '../constructs/task-api.js';
import { TaskMonitoring } from '../constructs/task-monitoring.js';
import { TaskPoller } from '../constructs/task-poller.js';
import { functionEntry } from '../paths.js';
import { keys } from '../resources.js';
import { API_ROUTES, STATUS_TIMEOUT_SECONDS } from '../routes.js';

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
   * Availability zones of the VPC; the ComfyUI instance runs in the first.
   * @default - the first two zones of the region
   */
  readonly availabilityZones?: readonly string[];
  /**
   * The GPU instance (type, volume, ComfyUI ref, models, image).
   * @default - ComfyInstance defaults
   */
  readonly comfy?: Omit<ComfyInstanceProps, 'vpc' | 'vpcSubnets' | 'clients'>;
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
   * Configuration passed to every function (e.g. MAX_IN_FLIGHT); resource names are added here.
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
}

export class StatelessStack extends Stack {
  public readonly network: ComfyNetwork;
  public readonly comfy: ComfyInstance;
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
      description: 'The dispatcher and the poller: ComfyUI and AWS APIs (HTTPS) only',
      allowAllOutbound: false,
    });
    this.comfy = new ComfyInstance(this, 'Comfy', {
      ...props.comfy,
      vpc,
      vpcSubnets: this.network.instanceSubnet,
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

    const environment: FunctionEnvironment = {
      ...props.environment,
      TASKS_TABLE_NAME: tasksTable.tableName,
      API_KEYS_TABLE_NAME: apiKeysTable.tableName,
      OUTPUTS_BUCKET_NAME: bucket.bucketName,
      COMFYUI_URLS: this.comfy.url,
      AUTH_MODE: auth.mode,
      ...(auth.mode === 'jwt'
        ? { JWT_ISSUER: auth.issuer, JWT_AUDIENCE: auth.audience.join(',') }
        : {}),
    };

    this.pipeline = new DispatchPipeline(this, 'Dispatch', {
      dispatcherEntry: entry('dispatcher'),
      deadLetterEntry: entry('dead-letter'),
      tasksTable,
      bucket,
      environment,
      vpc,
      vpcSubnets: this.network.privateSubnets,
      securityGroup: comfyClients,
      maxConcurrency: props.dispatchMaxConcurrency,
      logRetention,
    });
    const { queue } = this.pipeline;
    const withQueue = { ...environment, DISPATCH_QUEUE_URL: queue.queueUrl };

    this.poller = new TaskPoller(this, 'Polling', {
      entry: entry('poller'),
      tasksTable,
      bucket,
      queue,
      environment: withQueue,
      vpc,
      vpcSubnets: this.network.privateSubnets,
      securityGroup: comfyClients,
      reserveConcurrency: props.pollerReservedConcurrency,
      logRetention,
    });

    // The dispatcher starts the poller after a dispatch, so results never wait for the next minute.
    const dispatcherFn = this.pipeline.dispatcher.fn;
    dispatcherFn.addEnvironment('POLLER_FUNCTION_NAME', this.poller.poller.fn.functionName);
    // Not grantInvoke: it also allows every version and alias (`<arn>:*`); the function itself is all
    // the kick needs.
    dispatcherFn.addToRolePolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [this.poller.poller.fn.functionArn],
      }),
    );
    this.network.lambdaEndpoint?.connections.allowDefaultPortFrom(comfyClients);

    const fn = (name: string, description: string, timeout?: Duration) => {
      const created = new ServiceFunction(this, pascal(name), {
        entry: entry(name),
        description,
        environment: withQueue,
        logRetention,
        ...(timeout ? { timeout } : {}),
      });
      this.apiFunctions[name] = created;
      return created.fn;
    };
    // Each function gets exactly what its use-cases touch. Reading a task may read its workflow
    // from workflows/ (the repository stores large ones there); task views presign outputs/ links.
    const submit = fn('submit', 'POST /v1/tasks');
    tasksTable.grantReadWriteData(submit);
    queue.grantSendMessages(submit);
    bucket.grantRead(submit, 'uploads/*'); // the referenced upload must exist (HEAD)
    bucket.grantReadWrite(submit, 'workflows/*'); // store, replay, or drop a large workflow
    bucket.grantRead(submit, keys.catalog); // pre-flight validation against the node catalogue
    // Long polling waits up to MAX_WAIT_SECONDS (20 s) inside API Gateway's 30 s integration limit.
    const status = fn('status', 'GET /v1/tasks/{taskId}', Duration.seconds(STATUS_TIMEOUT_SECONDS));
    tasksTable.grantReadData(status);
    bucket.grantRead(status, 'workflows/*');
    bucket.grantRead(status, 'outputs/*');
    const list = fn('list', 'GET /v1/tasks');
    tasksTable.grantReadData(list);
    bucket.grantRead(list, 'outputs/*');
    const cancel = fn('cancel', 'POST /v1/tasks/{taskId}/cancel');
    tasksTable.grantReadWriteData(cancel);
    bucket.grantRead(cancel, 'workflows/*');
    bucket.grantRead(cancel, 'outputs/*');
    const templates = fn('templates', 'GET /v1/templates');
    const models = fn('models', 'GET /v1/models');
    bucket.grantRead(models, keys.catalog);
    const createUpload = fn('create-upload', 'POST /v1/uploads');
    tasksTable.grantReadWriteData(createUpload);
    bucket.grantPut(createUpload, 'uploads/*'); // presigned upload links
    // The per-owner rate limit: each request updates its owner's bucket item (`RATE#<owner>`);
    // functions that otherwise only read may update those items and no other.
    for (const f of [status, list, templates, models]) {
      f.addToRolePolicy(
        new PolicyStatement({
          actions: ['dynamodb:UpdateItem'],
          resources: [tasksTable.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['RATE#*'] } },
        }),
      );
    }

    let authorizer: IFunction | undefined;
    if (auth.mode === 'apiKey') {
      authorizer = fn('authorizer', 'API key authorizer of the HTTP API');
      apiKeysTable.grantReadData(authorizer);
    }
    this.api = new TaskApi(this, 'Api', {
      routes: API_ROUTES,
      handlers: { submit, status, list, cancel, templates, models, 'create-upload': createUpload },
      auth:
        auth.mode === 'apiKey' && authorizer
          ? {
              mode: 'apiKey',
              authorizer,
              ...(auth.cacheSeconds !== undefined
                ? { cacheTtl: Duration.seconds(auth.cacheSeconds) }
                : {}),
            }
          : (auth as Extract<StatelessAuth, { mode: 'jwt' }>),
      corsOrigins: props.corsOrigins,
      rateLimit: props.throttle?.rateLimit,
      burstLimit: props.throttle?.burstLimit,
      accessLogRetention: logRetention,
    });

    this.monitoring = new TaskMonitoring(this, 'Monitoring', {
      dispatcher: this.pipeline.dispatcher.fn,
      poller: this.poller.poller.fn,
      otherFunctions: [
        this.pipeline.deadLetterConsumer.fn,
        ...Object.values(this.apiFunctions).map((f) => f.fn),
      ],
      queue,
      deadLetterQueue: this.pipeline.deadLetterQueue,
      api: this.api.api,
      instanceId: this.comfy.instance.instanceId,
      alarmEmail: props.alarmEmail,
    });

    this.addOutputs(auth, apiKeysTable, bucket);
  }

  private addOutputs(auth: StatelessAuth, apiKeysTable: ITable, bucket: IBucket) {
    const out = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    out('ApiUrl', this.api.url, 'Base URL of the task API (routes under v1/)');
    out('OutputsBucketName', bucket.bucketName, 'Bucket holding outputs, uploads and workflows');
    out('ComfyInstanceId', this.comfy.instance.instanceId, 'The ComfyUI GPU instance');
    out(
      'ComfySessionCommand',
      `aws ssm start-session --target ${this.comfy.instance.instanceId} --region ${this.region}`,
      'Shell on the ComfyUI instance (setup log: /var/log/comfyui-setup.log)',
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
