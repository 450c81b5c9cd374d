/** The ComfyUI GPU fleet construct: group, scale-in protection, drain hook, warm pool, spot, IAM, nag. */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { customNodeCommands, customNodeFolder } from '../../infra/constructs/comfy-custom-nodes.js';
import {
  ComfyFleet,
  type ComfyFleetProps,
  DRAIN_HOOK_NAME,
} from '../../infra/constructs/comfy-fleet.js';
import { checkAwsSolutions } from '../../infra/nag.js';

function build(props: Partial<ComfyFleetProps> = {}) {
  const app = new App();
  const stack = new Stack(app, 'FleetTest', {
    env: { account: '111111111111', region: 'us-east-1' },
  });
  const vpc = new Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'private', subnetType: SubnetType.PRIVATE_ISOLATED }],
    flowLogs: {},
  });
  const clients = new SecurityGroup(stack, 'Clients', { vpc });
  const fleet = new ComfyFleet(stack, 'Comfy', {
    vpc,
    vpcSubnets: { subnetType: SubnetType.PRIVATE_ISOLATED },
    clients,
    ...props,
  });
  const controller = new Role(stack, 'Controller', {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
  });
  fleet.grantControl(controller);
  return { app, stack, fleet, template: Template.fromStack(stack) };
}

describe('ComfyFleet', () => {
  it('scales from 0 to 2 by default, sets no desired count, and protects new instances from scale-in', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '0',
      MaxSize: '2',
      NewInstancesProtectedFromScaleIn: true,
      DesiredCapacity: Match.absent(),
    });
  });

  it('holds terminating instances in a drain hook that continues after its timeout', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::AutoScaling::LifecycleHook', {
      LifecycleHookName: DRAIN_HOOK_NAME,
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      DefaultResult: 'CONTINUE',
      HeartbeatTimeout: 1800,
    });
  });

  it('rolls a setup change through the group launching before terminating', () => {
    const { template } = build();
    const group = Object.values(template.findResources('AWS::AutoScaling::AutoScalingGroup'))[0];
    expect(JSON.stringify(group?.UpdatePolicy)).toContain('"MinHealthyPercentage":100');
    expect(JSON.stringify(group?.UpdatePolicy)).toContain('"MaxHealthyPercentage":200');
  });

  it('runs encrypted, IMDSv2-only instances with no public address and ComfyUI open to the clients only', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required' },
        BlockDeviceMappings: [
          Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true, VolumeType: 'gp3' }) }),
        ],
      }),
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 8188,
      ToPort: 8188,
    });
  });

  it('adds a warm pool of stopped instances that are reused on scale-in', () => {
    const { template } = build({ warmPoolSize: 1, minGpus: 0, maxGpus: 3 });
    template.hasResourceProperties('AWS::AutoScaling::WarmPool', {
      PoolState: 'Stopped',
      MinSize: 1,
      InstanceReusePolicy: { ReuseOnScaleIn: true },
    });
  });

  it('runs on capacity-optimized spot over several types with capacity rebalancing', () => {
    const { template } = build({ spotTypes: ['g6.xlarge', 'g5.xlarge', 'g6e.xlarge'] });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      CapacityRebalance: true,
      MixedInstancesPolicy: Match.objectLike({
        InstancesDistribution: Match.objectLike({
          OnDemandPercentageAboveBaseCapacity: 0,
          SpotAllocationStrategy: 'capacity-optimized',
        }),
        LaunchTemplate: Match.objectLike({
          Overrides: [
            { InstanceType: 'g6.xlarge' },
            { InstanceType: 'g5.xlarge' },
            { InstanceType: 'g6e.xlarge' },
          ],
        }),
      }),
    });
  });

  it('refuses impossible options', () => {
    expect(() => build({ spotTypes: ['g6.xlarge'], warmPoolSize: 1 })).toThrow(/warm pool/);
    expect(() => build({ minGpus: 3, maxGpus: 2 })).toThrow(/minGpus/);
  });

  it('lets the controller change only this group', () => {
    const { template } = build();
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap(
      (p) =>
        p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const mutate = statements.find((s) =>
      [s.Action].flat().includes('autoscaling:SetDesiredCapacity'),
    );
    expect(mutate?.Resource).not.toBe('*');
    expect(JSON.stringify(mutate?.Resource)).toContain('autoScalingGroup');
    const star = statements.filter((s) => s.Resource === '*').flatMap((s) => [s.Action].flat());
    expect(star.sort()).toEqual(['autoscaling:DescribeAutoScalingGroups', 'ec2:DescribeInstances']);
  });

  it('installs custom nodes at a pinned ref into custom_nodes with their requirements', () => {
    const spec = { repo: 'https://github.com/example/comfy-nodes.git', ref: 'v1.2.3' };
    expect(customNodeFolder(spec)).toBe('comfy-nodes');
    const lines = customNodeCommands('/opt/comfyui', [spec]).join('\n');
    expect(lines).toContain("checkout --force 'v1.2.3'");
    expect(lines).toContain('/opt/comfyui/app/custom_nodes/comfy-nodes/requirements.txt');
    const { template } = build({ customNodes: [spec] });
    const lt = Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0];
    expect(JSON.stringify(lt)).toContain('custom_nodes/comfy-nodes');
  });

  it.each([
    ['on-demand', {}],
    ['warm pool', { warmPoolSize: 1 }],
    ['spot', { spotTypes: ['g6.xlarge', 'g5.xlarge'] }],
  ])('has no unacknowledged cdk-nag finding (%s)', (_name, props) => {
    const { app } = build(props);
    app.synth();
    const report = checkAwsSolutions(app);
    const findings = report.violations
      .filter((v) => v.violatingResources.some((r) => r.constructPath?.includes('/Comfy/')))
      .map((v) => v.ruleName);
    expect(findings).toEqual([]);
  });
});

describe('FleetControl', () => {
  it('builds the controller from its manifest: every minute and on the group drain events, in the VPC, controlling this group only', async () => {
    const { Duration } = await import('aws-cdk-lib');
    const { AttributeType, Table } = await import('aws-cdk-lib/aws-dynamodb');
    const { Queue } = await import('aws-cdk-lib/aws-sqs');
    const { Bucket } = await import('aws-cdk-lib/aws-s3');
    const { FleetControl } = await import('../../infra/constructs/fleet-control.js');
    const { manifestOf } = await import('../../functions/manifests.js');
    const app = new App();
    const stack = new Stack(app, 'FleetControlTest', {
      env: { account: '111111111111', region: 'us-east-1' },
    });
    const vpc = new Vpc(stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'private', subnetType: SubnetType.PRIVATE_ISOLATED }],
    });
    const clients = new SecurityGroup(stack, 'Clients', { vpc });
    const fleet = new ComfyFleet(stack, 'Comfy', {
      vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_ISOLATED },
      clients,
      maxGpus: 3,
    });
    const queue = new Queue(stack, 'Queue');
    new FleetControl(stack, 'Fleet', {
      fleet,
      manifest: manifestOf('fleet-controller'),
      resources: {
        tables: {
          tasks: new Table(stack, 'Tasks', {
            partitionKey: { name: 'pk', type: AttributeType.STRING },
          }),
          apiKeys: new Table(stack, 'Keys', {
            partitionKey: { name: 'pk', type: AttributeType.STRING },
          }),
        },
        buckets: { outputs: new Bucket(stack, 'Outputs') },
        queues: {
          dispatch: queue,
          dispatchDeadLetter: new Queue(stack, 'Dlq'),
          webhook: new Queue(stack, 'Webhooks'),
          webhookDeadLetter: new Queue(stack, 'WebhookDlq'),
        },
      },
      environment: { COMFYUI_URLS: '', LOG_LEVEL: 'INFO', MAX_IN_FLIGHT: '3' },
      network: {
        vpc,
        subnets: { subnetType: SubnetType.PRIVATE_ISOLATED },
        securityGroup: clients,
      },
      idleTime: Duration.minutes(5),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        source: ['aws.autoscaling'],
        'detail-type': ['EC2 Instance-terminate Lifecycle Action'],
      }),
    });
    const fns = template.findResources('AWS::Lambda::Function');
    const [id, controller] =
      Object.entries(fns).find(([id]) => id.startsWith('FleetController')) ?? [];
    expect(id).toBeDefined();
    const env = controller?.Properties.Environment.Variables;
    expect(env).toMatchObject({
      FLEET_MAX_GPUS: '3',
      FLEET_MIN_GPUS: '0',
      FLEET_IDLE_SECONDS: '300',
      FLEET_CONTROLLER_RUN_MS: '50000',
      LOG_LEVEL: 'INFO',
    });
    expect(env.FLEET_GROUP_NAME).toEqual({ Ref: expect.stringMatching(/^ComfyGroup/) });
    // Variables the controller does not read are not set on it.
    expect(env.MAX_IN_FLIGHT).toBeUndefined();
    expect(controller?.Properties.VpcConfig).toBeDefined();
    const statements = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([pid]) => pid.startsWith('FleetController'))
      .flatMap(
        ([, p]) =>
          p.Properties.PolicyDocument.Statement as {
            Action: string | string[];
            Resource: unknown;
          }[],
      );
    const actions = statements.flatMap((st) => [st.Action].flat());
    expect(actions).toContain('sqs:GetQueueAttributes');
    expect(actions).not.toContain('sqs:SendMessage');
    expect(actions).toContain('autoscaling:TerminateInstanceInAutoScalingGroup');
    expect(actions).toContain('dynamodb:UpdateItem');
  });
});
