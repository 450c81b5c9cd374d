/**
 * ComfyUI on one GPU instance: the current Deep Learning Base OSS NVIDIA Driver AMI (Ubuntu 24.04),
 * resolved from AWS's public SSM parameter when the instance launches, set up by
 * comfy-setup-script.ts. Private subnet, no public address, IMDSv2 only, encrypted gp3 root volume,
 * reachable on the ComfyUI port only from the `clients` security group, administered through SSM
 * Session Manager (no SSH, no key pair). Changing the user data (ComfyUI ref, models) replaces the
 * instance: setup is first-boot only, and the instance holds no state the tasks table does not.
 */

import { Validations } from 'aws-cdk-lib';
import {
  BlockDeviceVolume,
  EbsDeviceVolumeType,
  type IMachineImage,
  Instance,
  InstanceArchitecture,
  InstanceType,
  type ISecurityGroup,
  type IVpc,
  MachineImage,
  Peer,
  Port,
  SecurityGroup,
  type SubnetSelection,
  UserData,
} from 'aws-cdk-lib/aws-ec2';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { COMFY_PORT } from '../../shared/resources.js';
import { DEFAULT_MODELS, type ModelSpec } from '../settings.js';
import { comfySetupCommands } from './comfy-setup-script.js';

/** Public SSM parameters holding the id of the newest Deep Learning Base GPU AMI per architecture. */
export const DLAMI_PARAMETERS = {
  x86_64:
    '/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-24.04/latest/ami-id',
  arm64:
    '/aws/service/deeplearning/ami/arm64/base-oss-nvidia-driver-gpu-ubuntu-24.04/latest/ami-id',
} as const;

export { COMFY_PORT };

export interface ComfyInstanceProps {
  readonly vpc: IVpc;
  /** Where the instance runs (one private subnet is picked). */
  readonly vpcSubnets: SubnetSelection;
  /** The only group admitted on the ComfyUI port (the dispatcher's and poller's). */
  readonly clients: ISecurityGroup;
  /**
   * A GPU instance type; arm64 types (g5g) get the arm64 AMI.
   * @default 'g6.xlarge' (1 NVIDIA L4, 24 GB)
   */
  readonly instanceType?: string;
  /**
   * Root volume in GiB: the AMI (about 75 GiB with CUDA), PyTorch and the models.
   * @default 100
   */
  readonly volumeSizeGiB?: number;
  /**
   * Comfy-Org/ComfyUI git tag, branch or commit.
   * @default 'v0.3.64'
   */
  readonly comfyuiRef?: string;
  /**
   * Models downloaded at first boot. s3:// URLs are granted read access for the instance role.
   * @default DEFAULT_MODELS (SD 1.5)
   */
  readonly models?: readonly ModelSpec[];
  /**
   * The image to boot.
   * @default - the newest Deep Learning Base OSS NVIDIA Driver GPU AMI (Ubuntu 24.04), resolved at
   * launch from DLAMI_PARAMETERS
   */
  readonly machineImage?: IMachineImage;
  /**
   * pip index with the CUDA build of PyTorch.
   * @default 'https://download.pytorch.org/whl/cu128'
   */
  readonly torchIndexUrl?: string;
  /**
   * Files in ComfyUI's output, input and temp folders older than this are deleted (hourly).
   * @default 24
   */
  readonly cleanupAfterHours?: number;
}

export class ComfyInstance extends Construct {
  public readonly instance: Instance;
  public readonly securityGroup: SecurityGroup;
  /** The ComfyUI port. */
  public readonly port = Port.tcp(COMFY_PORT);
  /** `http://<private ip>:8188`, the value of COMFYUI_URLS. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: ComfyInstanceProps) {
    super(scope, id);
    const instanceType = new InstanceType(props.instanceType ?? 'g6.xlarge');
    const arm = instanceType.architecture === InstanceArchitecture.ARM_64;
    const models = props.models ?? DEFAULT_MODELS;

    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description:
        'ComfyUI: its port from the dispatcher and poller only; HTTPS/HTTP out for setup',
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(
      props.clients,
      Port.tcp(COMFY_PORT),
      'ComfyUI from the dispatcher and poller',
    );
    // Setup downloads from GitHub, PyPI, the PyTorch index and model hosts (HTTPS), and Ubuntu's
    // package mirrors (HTTP, signed packages); SSM and S3 are HTTPS.
    this.securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS');
    this.securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(80), 'Ubuntu package mirrors');

    const userData = UserData.forLinux();
    userData.addCommands(
      ...comfySetupCommands({
        comfyuiRef: props.comfyuiRef ?? 'v0.3.64',
        models,
        port: COMFY_PORT,
        torchIndexUrl: props.torchIndexUrl ?? 'https://download.pytorch.org/whl/cu128',
        cleanupAfterHours: props.cleanupAfterHours ?? 24,
      }),
    );

    this.instance = new Instance(this, 'Instance', {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      instanceType,
      machineImage:
        props.machineImage ??
        // `resolve:ssm:<parameter>`, resolved by EC2 at launch: a new AMI release does not replace
        // the running instance (a CloudFormation parameter would, at the next deploy).
        MachineImage.resolveSsmParameterAtLaunch(DLAMI_PARAMETERS[arm ? 'arm64' : 'x86_64']),
      securityGroup: this.securityGroup,
      associatePublicIpAddress: false,
      requireImdsv2: true,
      ssmSessionPermissions: true,
      detailedMonitoring: true,
      userData,
      userDataCausesReplacement: true,
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

    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-EC29',
      reason:
        'The instance is disposable: setup is scripted, ComfyUI state is in memory and every task ' +
        'is in DynamoDB. Termination protection would block the replacements that changing the ' +
        'ComfyUI version or models requires.',
    });
    Validations.of(this.instance.role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      reason:
        'Session Manager (the only admin access; no SSH) needs the SSM agent permissions of this ' +
        'AWS-maintained policy.',
    });
    if (!props.machineImage) {
      Validations.of(this.instance).acknowledge({
        id: 'CloudFormation-Validate::E1152',
        reason:
          'ImageId is `resolve:ssm:<public DLAMI parameter>`, which EC2 RunInstances resolves at ' +
          'launch; the template linter only knows literal ami-... ids.',
      });
    }

    models.forEach((model, i) => {
      const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(model.url);
      if (!match?.[1] || !match[2]) return;
      Bucket.fromBucketName(this, `ModelBucket${i}`, match[1]).grantRead(this.instance, match[2]);
    });

    this.url = `http://${this.instance.instancePrivateIp}:${COMFY_PORT}`;
  }
}
