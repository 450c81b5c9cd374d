import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODELS } from '../../infra/settings.js';
import {
  DISPATCH_DLQ,
  DISPATCH_QUEUE,
  DISPATCHER_TIMEOUT_SECONDS,
} from '../../shared/resources.js';
import { FLEET_METRICS, TASK_METRICS } from '../../shared/telemetry-names.js';
import { flat, oneResource, resourcesOf } from './support/template-queries.js';
import { synthStateless } from './support/test-app.js';

describe('StatelessStack workers, ComfyUI GPU fleet and monitoring (defaults)', () => {
  let template: Template;
  const fn = (prefix: string) => oneResource(template, 'AWS::Lambda::Function', prefix).Properties;

  beforeAll(() => {
    template = synthStateless().template;
  });

  describe('dispatch pipeline', () => {
    it('builds the queue and its dead-letter queue from resources.ts, encrypted and TLS-only', () => {
      const queue = oneResource(template, 'AWS::SQS::Queue', 'DispatchDispatchQueue').Properties;
      expect(queue).toMatchObject({
        VisibilityTimeout: DISPATCH_QUEUE.visibilityTimeoutSeconds,
        MessageRetentionPeriod: DISPATCH_QUEUE.retentionSeconds,
        ReceiveMessageWaitTimeSeconds: DISPATCH_QUEUE.receiveWaitSeconds,
        SqsManagedSseEnabled: true,
        RedrivePolicy: {
          maxReceiveCount: DISPATCH_QUEUE.deadLetter?.maxReceiveCount,
          deadLetterTargetArn: {
            'Fn::GetAtt': [expect.stringMatching(/^DispatchDispatchDeadLetterQueue/), 'Arn'],
          },
        },
      });
      const dlq = oneResource(template, 'AWS::SQS::Queue', 'DispatchDispatchDeadLetter').Properties;
      expect(dlq.MessageRetentionPeriod).toBe(DISPATCH_DLQ.retentionSeconds);
      for (const policy of Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy'))) {
        expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        );
      }
    });

    it('keeps the visibility timeout at least six times the dispatcher timeout', () => {
      expect(fn('DispatchDispatcherFunction').Timeout).toBe(DISPATCHER_TIMEOUT_SECONDS);
      expect(DISPATCH_QUEUE.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(
        6 * DISPATCHER_TIMEOUT_SECONDS,
      );
    });

    it('consumes with partial batch responses and bounded concurrency', () => {
      const mappings = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping'));
      const dispatcher = mappings.find((m) =>
        flat(m.Properties.EventSourceArn).includes('DispatchDispatchQueue'),
      );
      expect(dispatcher?.Properties).toMatchObject({
        FunctionName: { Ref: expect.stringMatching(/^DispatchDispatcherFunction/) },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 2 },
        BatchSize: 10,
      });
      const deadLetter = mappings.find((m) =>
        flat(m.Properties.EventSourceArn).includes('DispatchDispatchDeadLetterQueue'),
      );
      expect(deadLetter?.Properties).toMatchObject({
        FunctionName: { Ref: expect.stringMatching(/^DispatchDeadLetterFunction/) },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });
  });

  describe('poller', () => {
    it('runs every minute, without retries of a missed run', () => {
      const rule = oneResource(template, 'AWS::Events::Rule', 'PollingSchedule').Properties;
      expect(rule).toMatchObject({
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Targets: [
          {
            Arn: { 'Fn::GetAtt': [expect.stringMatching(/^PollingPollerFunction/), 'Arn'] },
            RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
          },
        ],
      });
    });

    it('polls for less than a minute and times out with a margin after it', () => {
      const poller = fn('PollingPollerFunction');
      const runMs = Number(poller.Environment.Variables.POLLER_RUN_MS);
      expect(runMs).toBeLessThanOrEqual(60_000);
      expect(poller.Timeout * 1000).toBeGreaterThanOrEqual(runMs + 30_000);
      expect(poller.ReservedConcurrentExecutions).toBeUndefined();
    });
  });

  describe('ComfyUI GPU fleet', () => {
    const group = () =>
      oneResource(template, 'AWS::AutoScaling::AutoScalingGroup', 'ComfyGroup').Properties;
    const launchData = () =>
      oneResource(template, 'AWS::EC2::LaunchTemplate', 'ComfyLaunchTemplate').Properties
        .LaunchTemplateData;

    it('scales from 0 to 2 GPUs, boots the current Deep Learning GPU AMI resolved by EC2 at launch', () => {
      expect(group()).toMatchObject({
        MinSize: '0',
        MaxSize: '2',
        NewInstancesProtectedFromScaleIn: true,
      });
      expect(launchData()).toMatchObject({
        InstanceType: 'g6.xlarge',
        ImageId:
          'resolve:ssm:/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-24.04/latest/ami-id',
        Monitoring: { Enabled: true },
      });
    });

    it('has no public address, no key pair, an encrypted gp3 volume and IMDSv2 only', () => {
      const data = launchData();
      expect(data.KeyName).toBeUndefined();
      expect(data.NetworkInterfaces).toBeUndefined();
      expect(data.BlockDeviceMappings).toEqual([
        {
          DeviceName: '/dev/sda1',
          Ebs: { DeleteOnTermination: true, Encrypted: true, VolumeSize: 100, VolumeType: 'gp3' },
        },
      ]);
      expect(data.MetadataOptions).toMatchObject({ HttpTokens: 'required' });
    });

    it('runs in the private subnets', () => {
      const subnets = group().VPCZoneIdentifier as { Ref: string }[];
      expect(subnets.length).toBeGreaterThan(0);
      for (const { Ref } of subnets) {
        expect(Ref).toMatch(/private/);
        expect(resourcesOf(template, 'AWS::EC2::Subnet')[Ref]?.Properties.MapPublicIpOnLaunch).toBe(
          false,
        );
      }
    });

    it('admits the ComfyUI port from the dispatcher, poller and controller group only', () => {
      const sgId = launchData().SecurityGroupIds[0]['Fn::GetAtt'][0] as string;
      const sg = resourcesOf(template, 'AWS::EC2::SecurityGroup')[sgId]?.Properties;
      expect(sg?.SecurityGroupIngress).toBeUndefined();
      const ingress = Object.values(resourcesOf(template, 'AWS::EC2::SecurityGroupIngress')).filter(
        (r) => r.Properties.GroupId['Fn::GetAtt'][0] === sgId,
      );
      expect(ingress).toHaveLength(1);
      expect(ingress[0]?.Properties).toMatchObject({
        IpProtocol: 'tcp',
        FromPort: 8188,
        ToPort: 8188,
        SourceSecurityGroupId: {
          'Fn::GetAtt': [expect.stringMatching(/^ComfyClients/), 'GroupId'],
        },
      });
      const clientSg = fn('DispatchDispatcherFunction').VpcConfig.SecurityGroupIds[0];
      expect(clientSg['Fn::GetAtt'][0]).toMatch(/^ComfyClients/);
      expect(fn('PollingPollerFunction').VpcConfig.SecurityGroupIds).toEqual([clientSg]);
      expect(fn('FleetController').VpcConfig.SecurityGroupIds).toEqual([clientSg]);
    });

    it('is administered through Session Manager', () => {
      const roles = Object.entries(resourcesOf(template, 'AWS::IAM::Role')).filter(([id]) =>
        id.startsWith('ComfyInstanceRole'),
      );
      expect(roles).toHaveLength(1);
      expect(flat(roles[0]?.[1].Properties.ManagedPolicyArns)).toContain(
        'AmazonSSMManagedInstanceCore',
      );
    });

    it('installs ComfyUI as a service on its private address, fetches models, cleans old files', () => {
      const userData = flat(launchData().UserData);
      expect(userData).toContain("checkout --force 'v0.3.64'");
      expect(userData).toContain('--listen \\"$(/usr/local/bin/comfyui-private-ip)\\" --port 8188');
      expect(userData).toContain('systemctl enable --now comfyui.service comfyui-cleanup.timer');
      expect(userData).toContain('OnCalendar=*:0/10');
      expect(userData).toContain(`age=${24 * 60}`);
      for (const model of DEFAULT_MODELS) expect(userData).toContain(model.url);
      expect(userData).not.toContain('0.0.0.0');
    });

    it('points the dispatcher and the poller at the fleet registry, and lets a waiting task start the controller', () => {
      for (const name of ['DispatchDispatcherFunction', 'PollingPollerFunction']) {
        expect(fn(name).Environment.Variables).toMatchObject({
          COMFYUI_SERVERS: 'fleet',
          COMFYUI_URLS: '',
        });
      }
      const dispatcher = fn('DispatchDispatcherFunction').Environment.Variables;
      expect(dispatcher.FLEET_CAPACITY_WAIT_SECONDS).toBe('900');
      expect(dispatcher.FLEET_CONTROLLER_FUNCTION_NAME).toEqual({
        Ref: expect.stringMatching(/^FleetController/),
      });
      expect(fn('FleetController').Environment.Variables).toMatchObject({
        FLEET_MIN_GPUS: '0',
        FLEET_MAX_GPUS: '2',
        FLEET_IDLE_SECONDS: '600',
        FLEET_IDLE_FOLLOWS_DEMAND: 'false',
        // No warm pool and a stock AMI: every start is a first boot.
        FLEET_START_SECONDS: '900',
        FLEET_GROUP_NAME: { Ref: expect.stringMatching(/^ComfyGroup/) },
      });
    });
  });

  describe('network', () => {
    it('has one NAT gateway (the setup downloads), S3/DynamoDB gateway and SQS interface endpoints', () => {
      expect(Object.keys(resourcesOf(template, 'AWS::EC2::NatGateway'))).toHaveLength(1);
      const endpoints = Object.values(resourcesOf(template, 'AWS::EC2::VPCEndpoint'));
      const names = endpoints.map(
        (e) => `${e.Properties.VpcEndpointType}:${flat(e.Properties.ServiceName)}`,
      );
      expect(names.filter((n) => n.startsWith('Gateway'))).toHaveLength(2);
      expect(names.some((n) => n.startsWith('Gateway') && n.includes('.s3'))).toBe(true);
      expect(names.some((n) => n.startsWith('Gateway') && n.includes('.dynamodb'))).toBe(true);
      expect(names.filter((n) => n.startsWith('Interface'))).toEqual([
        expect.stringContaining('.sqs'),
      ]);
    });

    it('logs rejected traffic', () => {
      template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT' });
    });
  });

  describe('monitoring', () => {
    const alarms = () => Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
    const alarmOn = (metricName: string) =>
      alarms().find((a) => a.Properties.MetricName === metricName)?.Properties;

    it('alarms on dead-lettered messages, function errors and poller lag', () => {
      const dlqAlarms = alarms().filter(
        (a) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible',
      );
      for (const queue of [/DispatchDispatchDeadLetterQueue/, /DispatchWebhookDeadLetterQueue/]) {
        expect(
          dlqAlarms.find((a) => queue.test(flat(a.Properties.Dimensions)))?.Properties,
        ).toMatchObject({
          Namespace: 'AWS/SQS',
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          Dimensions: [
            { Name: 'QueueName', Value: { 'Fn::GetAtt': [expect.any(String), 'QueueName'] } },
          ],
        });
      }
      expect(dlqAlarms).toHaveLength(2);
      const errorAlarms = alarms().filter((a) => a.Properties.MetricName === 'Errors');
      expect(errorAlarms.map((a) => flat(a.Properties.Dimensions)).join()).toMatch(
        /DispatchDispatcherFunction.*PollingPollerFunction|PollingPollerFunction.*DispatchDispatcherFunction/,
      );
      expect(alarmOn(TASK_METRICS.pollerLagSeconds)).toMatchObject({
        Namespace: 'ComfyServerless',
        Dimensions: [{ Name: 'service', Value: 'comfy-serverless' }],
        Statistic: 'Maximum',
      });
    });

    it('alarms when ComfyUI is unreachable from the dispatcher or the poller', () => {
      const comfy = alarms().find((a) => flat(a.Properties.Metrics).includes('FILL('));
      const names = flat(comfy?.Properties.Metrics);
      expect(names).toContain(TASK_METRICS.dispatchRetries);
      expect(names).toContain(TASK_METRICS.comfyServersUnreachable);
    });

    it('notifies the alarm topic on alarm and on recovery', () => {
      for (const alarm of alarms()) {
        expect(alarm.Properties.AlarmActions).toEqual([
          { Ref: expect.stringMatching(/AlarmTopic/) },
        ]);
        expect(alarm.Properties.OKActions).toEqual([{ Ref: expect.stringMatching(/AlarmTopic/) }]);
      }
      expect(Object.keys(resourcesOf(template, 'AWS::SNS::Subscription'))).toHaveLength(0);
    });

    it('charts the task metrics on the dashboard', () => {
      const body = flat(
        oneResource(template, 'AWS::CloudWatch::Dashboard', 'Monitoring').Properties,
      );
      for (const name of [
        TASK_METRICS.submitted,
        TASK_METRICS.dispatched,
        TASK_METRICS.completed,
        TASK_METRICS.failed,
        TASK_METRICS.cancelled,
        TASK_METRICS.resultLagMs,
        TASK_METRICS.queueWaitMs,
        TASK_METRICS.runTimeMs,
      ]) {
        expect(body).toContain(`\\"${name}\\"`);
      }
    });

    it('charts the GPU fleet: instances by state, GPUs wanted, tasks per GPU, time to capacity, scale events', () => {
      const body = flat(
        oneResource(template, 'AWS::CloudWatch::Dashboard', 'Monitoring').Properties,
      );
      for (const name of [
        'GroupInServiceInstances',
        'GroupPendingInstances',
        ...Object.values(FLEET_METRICS),
      ]) {
        expect(body).toContain(`\\"${name}\\"`);
      }
    });

    it('alarms when a GPU instance of the group fails its status checks', () => {
      expect(alarmOn('StatusCheckFailed')).toMatchObject({
        Namespace: 'AWS/EC2',
        Dimensions: [
          { Name: 'AutoScalingGroupName', Value: { Ref: expect.stringMatching(/^ComfyGroup/) } },
        ],
      });
    });
  });
});
