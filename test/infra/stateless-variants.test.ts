import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { flat, oneResource, resourcesOf } from './support/template-queries.js';
import { nagFindings, synthStateless } from './support/test-app.js';

describe('StatelessStack with JWT auth, no NAT gateway and the other options set', () => {
  let built: ReturnType<typeof synthStateless>;
  let template: Template;

  beforeAll(() => {
    built = synthStateless({
      authMode: 'jwt',
      jwtIssuer: 'https://idp.example.com/',
      jwtAudience: 'comfy-api',
      natGateway: 'false',
      corsOrigins: '',
      alarmEmail: 'ops@example.com',
      pollerReservedConcurrency: '1',
      dispatchMaxConcurrency: '5',
      amiId: 'ami-0123456789abcdef0',
      instanceType: 'g5.2xlarge',
      volumeSize: '200',
      comfyuiRef: 'v0.8.0',
      minGpus: '1',
      maxGpus: '4',
      gpuIdleMinutes: '5',
      gpuIdleFollowsDemand: 'true',
      gpuCapacityWaitMinutes: '20',
      warmPool: '1',
      customNodes:
        '[{"repo":"https://github.com/example/comfy-nodes","ref":"0123456789abcdef0123456789abcdef01234567"}]',
      models:
        '[{"url":"s3://my-models/sdxl/base.safetensors","folder":"checkpoints","filename":"sdxl.safetensors"}]',
    });
    template = built.template;
  });

  it('checks JWTs in API Gateway and creates no authorizer function', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: 'https://idp.example.com/', Audience: ['comfy-api'] },
    });
    for (const route of Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route'))) {
      expect(route.Properties.AuthorizationType).toBe('JWT');
    }
    const ids = Object.keys(resourcesOf(template, 'AWS::Lambda::Function'));
    expect(ids.some((id) => id.startsWith('Authorizer'))).toBe(false);
    const submit = oneResource(template, 'AWS::Lambda::Function', 'SubmitFunction').Properties;
    // API Gateway checks the tokens: no function reads the JWT settings.
    for (const name of ['AUTH_MODE', 'JWT_ISSUER', 'JWT_AUDIENCE']) {
      expect(submit.Environment.Variables).not.toHaveProperty(name);
    }
    expect(template.toJSON().Outputs.CreateApiKeyCommand).toBeUndefined();
  });

  it('has no CORS configuration without origins', () => {
    const api = oneResource(template, 'AWS::ApiGatewayV2::Api', 'ApiHttpApi').Properties;
    expect(api.CorsConfiguration).toBeUndefined();
  });

  it('without NAT: isolated subnets, Session Manager endpoints for the instances, Lambda, Auto Scaling and EC2 endpoints for the functions', () => {
    expect(Object.keys(resourcesOf(template, 'AWS::EC2::NatGateway'))).toHaveLength(0);
    expect(Object.keys(resourcesOf(template, 'AWS::EC2::InternetGateway'))).toHaveLength(0);
    const interfaces = Object.values(resourcesOf(template, 'AWS::EC2::VPCEndpoint'))
      .filter((e) => e.Properties.VpcEndpointType === 'Interface')
      .map((e) => flat(e.Properties.ServiceName));
    for (const service of [
      '.sqs',
      '.ssm"',
      '.ssmmessages',
      '.ec2messages',
      '.lambda',
      '.autoscaling',
      '.ec2"',
    ]) {
      expect(
        interfaces.some((s) => s.includes(service)),
        service,
      ).toBe(true);
    }
  });

  it('uses the pinned AMI, the instance type, the volume size and the custom nodes given', () => {
    const data = oneResource(template, 'AWS::EC2::LaunchTemplate', 'ComfyLaunchTemplate').Properties
      .LaunchTemplateData;
    expect(data).toMatchObject({
      ImageId: 'ami-0123456789abcdef0',
      InstanceType: 'g5.2xlarge',
      BlockDeviceMappings: [
        expect.objectContaining({ Ebs: expect.objectContaining({ VolumeSize: 200 }) }),
      ],
    });
    const userData = flat(data.UserData);
    expect(userData).toContain("checkout --force 'v0.8.0'");
    expect(userData).toContain('https://github.com/example/comfy-nodes');
    expect(userData).toContain('0123456789abcdef0123456789abcdef01234567');
  });

  it('sizes the fleet from 1 to 4 GPUs with a warm pool, stops idle GPUs after 5 minutes, lets tasks wait 20', () => {
    expect(
      oneResource(template, 'AWS::AutoScaling::AutoScalingGroup', 'ComfyGroup').Properties,
    ).toMatchObject({ MinSize: '1', MaxSize: '4' });
    template.hasResourceProperties('AWS::AutoScaling::WarmPool', {
      MinSize: 1,
      PoolState: 'Stopped',
    });
    const env = (prefix: string) =>
      oneResource(template, 'AWS::Lambda::Function', prefix).Properties.Environment.Variables;
    expect(env('FleetController')).toMatchObject({
      FLEET_MIN_GPUS: '1',
      FLEET_MAX_GPUS: '4',
      FLEET_IDLE_SECONDS: '300',
      FLEET_IDLE_FOLLOWS_DEMAND: 'true',
      // A warm pool: a start, not a boot.
      FLEET_START_SECONDS: '120',
    });
    expect(env('DispatchDispatcherFunction').FLEET_CAPACITY_WAIT_SECONDS).toBe('1200');
  });

  it('lets the instance read the s3:// models it is configured with, and nothing else there', () => {
    const policies = Object.entries(resourcesOf(template, 'AWS::IAM::Policy')).filter(([id]) =>
      id.startsWith('ComfyInstance'),
    );
    const text = flat(policies.map(([, p]) => p.Properties.PolicyDocument));
    expect(text).toContain(':s3:::my-models/sdxl/base.safetensors');
    expect(text).not.toMatch(/my-models\/\*/);
  });

  it('reserves concurrency 1 for the poller and raises the dispatcher concurrency', () => {
    const poller = oneResource(template, 'AWS::Lambda::Function', 'PollingPollerFunction');
    expect(poller.Properties.ReservedConcurrentExecutions).toBe(1);
    const mapping = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')).find(
      (m) => m.Properties.FunctionName.Ref.startsWith('DispatchDispatcherFunction'),
    );
    expect(mapping?.Properties.ScalingConfig).toEqual({ MaximumConcurrency: 5 });
  });

  it('subscribes the alarm email', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  it('passes cdk-nag AwsSolutions with no unacknowledged finding', () => {
    expect(nagFindings(built.app)).toEqual([]);
  });
});

describe('StatelessStack on an arm64 GPU instance type', () => {
  it('boots the arm64 Deep Learning AMI', () => {
    const { template } = synthStateless({ instanceType: 'g5g.xlarge' });
    const data = oneResource(template, 'AWS::EC2::LaunchTemplate', 'ComfyLaunchTemplate').Properties
      .LaunchTemplateData;
    expect(data.ImageId).toBe(
      'resolve:ssm:/aws/service/deeplearning/ami/arm64/base-oss-nvidia-driver-gpu-ubuntu-24.04/latest/ami-id',
    );
  });
});
