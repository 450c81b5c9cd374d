/**
 * ComfyUI on an EC2 Auto Scaling group of GPU instances that the fleet controller sizes to the queue
 * (from `minGpus`, default 0, to `maxGpus`). Same image, setup script, network and security posture as
 * one instance: private subnets, no public address, IMDSv2 only, encrypted gp3 root volume, ComfyUI's
 * port open to the `clients` group only, Session Manager instead of SSH.
 *
 * What keeps a busy GPU from being taken away by scaling:
 * - every instance starts protected from scale-in, so the group never picks a victim: the controller
 *   names the idle one and terminates it with a decrement of the desired count;
 * - a termination lifecycle hook (`comfy-serverless-drain`) holds any terminating instance (scale-in,
 *   instance refresh, health check) until the controller has seen it empty, up to `drainTimeout`;
 * - a change of setup (ComfyUI ref, models, custom nodes, image) rolls through the group by instance
 *   refresh, launching the new instance before the old one goes (min 100 %, max 200 % healthy).
 *
 * Each instance boots the current Deep Learning Base AMI (resolved by EC2 at launch from its public
 * SSM parameter) and is set up by comfy-setup-script.ts on its first boot.
 *
 * Options: a warm pool of stopped, already set-up instances (a scale-out then takes the time of a
 * start, not of a first boot), or spot capacity (capacity-optimized over several instance types, with
 * capacity rebalancing); EC2 does not allow both on one group.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import {
  AutoScalingGroup,
  DefaultResult,
  GroupMetrics,
  HealthChecks,
  InstanceRefreshStrategy,
  LifecycleTransition,
  PoolState,
  ScaleInProtectedInstances,
  SpotAllocationStrategy,
  UpdatePolicy,
} from 'aws-cdk-lib/aws-autoscaling';
import {
  BlockDeviceVolume,
  EbsDeviceVolumeType,
  type IMachineImage,
  InstanceArchitecture,
  InstanceType,
  type ISecurityGroup,
  type IVpc,
  LaunchTemplate,
  MachineImage,
  Peer,
  Port,
  SecurityGroup,
  type SubnetSelection,
  UserData,
} from 'aws-cdk-lib/aws-ec2';
import {
  type IGrantable,
  ManagedPolicy,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { COMFY_PORT } from '../../shared/resources.js';
import { DEFAULT_MODELS, type ModelSpec } from '../settings.js';
import type { CustomNodeSpec } from './comfy-custom-nodes.js';
import { comfySetupCommands } from './comfy-setup-script.js';

/**
 * Public SSM parameters holding the id of the newest Deep Learning Base OSS NVIDIA Driver GPU AMI
 * (Ubuntu 24.04) per architecture.
 */
const DLAMI_PARAMETERS = {
  x86_64:
    '/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-24.04/latest/ami-id',
  arm64:
    '/aws/service/deeplearning/ami/arm64/base-oss-nvidia-driver-gpu-ubuntu-24.04/latest/ami-id',
} as const;

/** The termination lifecycle hook's name, also matched by the controller's EventBridge rule. */
export const DRAIN_HOOK_NAME = 'comfy-serverless-drain';

export interface ComfyFleetProps {
  readonly vpc: IVpc;
  /** Subnets the instances run in (private). */
  readonly vpcSubnets: SubnetSelection;
  /** The only group admitted on the ComfyUI port (the dispatcher's, poller's and controller's). */
  readonly clients: ISecurityGroup;
  /**
   * GPUs kept running with no work.
   * @default 0
   */
  readonly minGpus?: number;
  /**
   * Most GPUs at once.
   * @default 2
   */
  readonly maxGpus?: number;
  /**
   * A GPU instance type; arm64 types (g5g) get the arm64 AMI. In spot mode, the first of `spotTypes`.
   * @default 'g6.xlarge' (1 NVIDIA L4, 24 GB)
   */
  readonly instanceType?: string;
  /**
   * Run on spot capacity over these instance types (capacity-optimized, with capacity rebalancing).
   * @default - on-demand only
   */
  readonly spotTypes?: readonly string[];
  /**
   * Stopped, already set-up instances kept ready to start (not with spot).
   * @default 0 (no warm pool)
   */
  readonly warmPoolSize?: number;
  /** @default 100 */
  readonly volumeSizeGiB?: number;
  /** @default 'v0.3.64' */
  readonly comfyuiRef?: string;
  /** @default DEFAULT_MODELS */
  readonly models?: readonly ModelSpec[];
  /** @default none */
  readonly customNodes?: readonly CustomNodeSpec[];
  /** @default - the newest Deep Learning Base OSS NVIDIA Driver GPU AMI, resolved at launch */
  readonly machineImage?: IMachineImage;
  /** @default 'https://download.pytorch.org/whl/cu128' */
  readonly torchIndexUrl?: string;
  /** @default 24 */
  readonly cleanupAfterHours?: number;
  /**
   * Longest a terminating instance is held for its running prompts (lifecycle hook heartbeat).
   * @default 30 minutes (the default task run timeout)
   */
  readonly drainTimeout?: Duration;
}

export class ComfyFleet extends Construct {
  public readonly group: AutoScalingGroup;
  public readonly securityGroup: SecurityGroup;
  public readonly port = Port.tcp(COMFY_PORT);
  public readonly minGpus: number;
  public readonly maxGpus: number;
  /**
   * How long a new GPU takes until ComfyUI answers, as this setup makes it: a warm pool's start
   * (about 2 minutes), a boot of an AMI that holds ComfyUI and the models (a few minutes), or a first
   * boot that installs them (15 to 25 minutes; see docs/deploy.md).
   */
  public readonly startTime: Duration;

  constructor(scope: Construct, id: string, props: ComfyFleetProps) {
    super(scope, id);
    this.minGpus = props.minGpus ?? 0;
    this.maxGpus = props.maxGpus ?? 2;
    this.startTime =
      (props.warmPoolSize ?? 0) > 0
        ? Duration.minutes(2)
        : props.machineImage
          ? Duration.minutes(5)
          : Duration.minutes(15);
    if (this.minGpus < 0 || this.maxGpus < 1 || this.minGpus > this.maxGpus) {
      throw new Error(
        `ComfyFleet: need 0 <= minGpus <= maxGpus and maxGpus >= 1 (got ${this.minGpus}..${this.maxGpus})`,
      );
    }
    const spot = props.spotTypes && props.spotTypes.length > 0 ? props.spotTypes : undefined;
    if (spot && (props.warmPoolSize ?? 0) > 0) {
      throw new Error(
        'ComfyFleet: a warm pool cannot be used with spot instances (EC2 does not allow it)',
      );
    }
    const instanceType = new InstanceType(spot?.[0] ?? props.instanceType ?? 'g6.xlarge');
    const arm = instanceType.architecture === InstanceArchitecture.ARM_64;
    const models = props.models ?? DEFAULT_MODELS;

    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description:
        'ComfyUI: its port from the dispatcher, poller and controller only; HTTPS/HTTP out for setup',
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(
      props.clients,
      this.port,
      'ComfyUI from the functions in the VPC',
    );
    this.securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS');
    this.securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(80), 'Ubuntu package mirrors');

    const role = new Role(this, 'InstanceRole', {
      assumedBy: new ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      reason:
        'Session Manager (the only admin access; no SSH) needs the SSM agent permissions of this AWS-maintained policy.',
    });

    const userData = UserData.forLinux();
    userData.addCommands(
      ...comfySetupCommands({
        comfyuiRef: props.comfyuiRef ?? 'v0.3.64',
        models,
        customNodes: props.customNodes ?? [],
        port: COMFY_PORT,
        torchIndexUrl: props.torchIndexUrl ?? 'https://download.pytorch.org/whl/cu128',
        cleanupAfterHours: props.cleanupAfterHours ?? 24,
      }),
    );

    const template = new LaunchTemplate(this, 'LaunchTemplate', {
      instanceType,
      machineImage:
        props.machineImage ??
        MachineImage.resolveSsmParameterAtLaunch(DLAMI_PARAMETERS[arm ? 'arm64' : 'x86_64']),
      securityGroup: this.securityGroup,
      role,
      userData,
      requireImdsv2: true,
      detailedMonitoring: true,
      blockDevices: [
        {
          deviceName: '/dev/sda1',
          volume: BlockDeviceVolume.ebs(props.volumeSizeGiB ?? 100, {
            encrypted: true,
            volumeType: EbsDeviceVolumeType.GP3,
            deleteOnTermination: true,
          }),
        },
      ],
    });

    this.group = new AutoScalingGroup(this, 'Group', {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      minCapacity: this.minGpus,
      maxCapacity: this.maxGpus,
      // No desiredCapacity: a deploy must never reset what the controller has set.
      newInstancesProtectedFromScaleIn: true,
      // The dashboard's desired / in service / pending / terminating (group metrics are free).
      groupMetrics: [GroupMetrics.all()],
      healthChecks: HealthChecks.ec2({ gracePeriod: Duration.minutes(20) }),
      updatePolicy: UpdatePolicy.instanceRefresh({
        strategy: InstanceRefreshStrategy.ROLLING,
        minHealthyPercentage: 100,
        maxHealthyPercentage: 200,
        scaleInProtectedInstances: ScaleInProtectedInstances.REFRESH,
      }),
      ...(spot
        ? {
            capacityRebalance: true,
            mixedInstancesPolicy: {
              launchTemplate: template,
              launchTemplateOverrides: spot.map((t) => ({ instanceType: new InstanceType(t) })),
              instancesDistribution: {
                onDemandBaseCapacity: 0,
                onDemandPercentageAboveBaseCapacity: 0,
                spotAllocationStrategy: SpotAllocationStrategy.CAPACITY_OPTIMIZED,
              },
            },
          }
        : { launchTemplate: template }),
    });
    this.group.addLifecycleHook('Drain', {
      lifecycleHookName: DRAIN_HOOK_NAME,
      lifecycleTransition: LifecycleTransition.INSTANCE_TERMINATING,
      heartbeatTimeout: props.drainTimeout ?? Duration.minutes(30),
      defaultResult: DefaultResult.CONTINUE,
    });
    if ((props.warmPoolSize ?? 0) > 0) {
      this.group.addWarmPool({
        poolState: PoolState.STOPPED,
        minSize: props.warmPoolSize,
        maxGroupPreparedCapacity: this.maxGpus,
        reuseOnScaleIn: true,
      });
    }

    Validations.of(this.group).acknowledge({
      id: 'AwsSolutions-AS3',
      reason:
        'Scaling is driven by the fleet controller and visible on the dashboard; the group needs no SNS notifications.',
    });
    if (spot) {
      Validations.of(this.group).acknowledge({
        id: 'AwsSolutions-EC26',
        reason:
          'The root volume is encrypted in the launch template; the mixed-instances policy hides it from the rule.',
      });
    }
    if (!props.machineImage) {
      Validations.of(template).acknowledge({
        id: 'CloudFormation-Validate::E1152',
        reason:
          'ImageId is `resolve:ssm:<public DLAMI parameter>`, which EC2 resolves at launch; the linter only knows literal ami-... ids.',
      });
    }
    models.forEach((model, i) => {
      const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(model.url);
      if (!match?.[1] || !match[2]) return;
      Bucket.fromBucketName(this, `ModelBucket${i}`, match[1]).grantRead(role, match[2]);
    });
  }

  /** The Auto Scaling group's name (the fleet controller's FLEET_GROUP_NAME). */
  get groupName(): string {
    return this.group.autoScalingGroupName;
  }

  /**
   * What the fleet controller may do: describe the group and its instances (EC2 and Auto Scaling
   * describe calls have no resource-level permissions), and change only this group.
   */
  grantControl(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'autoscaling:SetDesiredCapacity',
          'autoscaling:TerminateInstanceInAutoScalingGroup',
          'autoscaling:CompleteLifecycleAction',
        ],
        resources: [this.group.autoScalingGroupArn],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['autoscaling:DescribeAutoScalingGroups', 'ec2:DescribeInstances'],
        resources: ['*'],
      }),
    );
  }
}
