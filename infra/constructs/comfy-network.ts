/**
 * The VPC of the ComfyUI GPU fleet and of the functions that talk to it (dispatcher, poller, fleet
 * controller).
 *
 * - S3 and DynamoDB through gateway endpoints (free); SQS through an interface endpoint, because the
 *   dispatcher re-sends deferred tasks and the poller re-queues lost ones from inside the VPC.
 * - `natGateway: true` (the default) adds one NAT gateway in a public subnet so the instance can
 *   download ComfyUI, PyTorch and the models at first boot. Without it the subnets are isolated: use
 *   it only with an AMI that already holds ComfyUI and the models (docs/deploy.md explains how to
 *   bake one); SSM Session Manager then gets its own interface endpoints.
 * - Interface endpoints sit in one subnet (the instance's AZ): each costs per AZ-hour, and ComfyUI
 *   on a single instance is single-AZ anyway. Functions in the other AZ reach them across AZs.
 * - Rejected traffic is logged (VPC flow logs) to find a blocked path quickly, for a few cents.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  type InterfaceVpcEndpoint,
  InterfaceVpcEndpointAwsService,
  IpAddresses,
  type SubnetSelection,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface ComfyNetworkProps {
  /**
   * One NAT gateway for outbound internet access (the instance's first-boot setup needs it).
   * @default true
   */
  readonly natGateway?: boolean;
  /**
   * Availability zones, the instance's first: pick zones that offer the GPU instance type.
   * @default - the first two zones of the region
   */
  readonly availabilityZones?: readonly string[];
  /**
   * How long rejected-traffic flow logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly flowLogRetention?: RetentionDays;
}

export class ComfyNetwork extends Construct {
  public readonly vpc: Vpc;
  /** The private subnets (with NAT egress, or isolated) of the functions. */
  public readonly privateSubnets: SubnetSelection;
  /** One private subnet: the instance and the interface endpoints. */
  public readonly instanceSubnet: SubnetSelection;
  public readonly natGateway: boolean;
  /** SQS, for the dispatcher and the poller. */
  public readonly sqsEndpoint: InterfaceVpcEndpoint;
  /** SSM, SSM messages and EC2 messages (only without NAT), for Session Manager on the instance. */
  public readonly sessionManagerEndpoints: InterfaceVpcEndpoint[] = [];
  /**
   * Lambda, for the dispatcher's poller kick, when there is no NAT gateway to reach it through.
   * @default undefined with a NAT gateway
   */
  public readonly lambdaEndpoint?: InterfaceVpcEndpoint;
  /**
   * Auto Scaling and EC2, for the fleet controller, when there is no NAT gateway to reach them through.
   * @default none with a NAT gateway
   */
  public readonly fleetControlEndpoints: InterfaceVpcEndpoint[] = [];

  constructor(scope: Construct, id: string, props: ComfyNetworkProps = {}) {
    super(scope, id);
    this.natGateway = props.natGateway ?? true;
    const privateType = this.natGateway
      ? SubnetType.PRIVATE_WITH_EGRESS
      : SubnetType.PRIVATE_ISOLATED;
    const flowLogs = new LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr('10.42.0.0/16'),
      ...(props.availabilityZones?.length
        ? { availabilityZones: [...props.availabilityZones] }
        : { maxAzs: 2 }),
      natGateways: this.natGateway ? 1 : 0,
      subnetConfiguration: [
        ...(this.natGateway
          ? [{ name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 }]
          : []),
        { name: 'private', subnetType: privateType, cidrMask: 20 },
      ],
      restrictDefaultSecurityGroup: true,
      gatewayEndpoints: {
        S3: { service: GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: GatewayVpcEndpointAwsService.DYNAMODB },
      },
      flowLogs: {
        Rejected: {
          trafficType: FlowLogTrafficType.REJECT,
          destination: FlowLogDestination.toCloudWatchLogs(flowLogs),
        },
      },
    });
    this.privateSubnets = { subnetType: privateType };
    const first = this.vpc.selectSubnets(this.privateSubnets).subnets[0];
    if (!first) throw new Error('ComfyNetwork: the VPC has no private subnet');
    this.instanceSubnet = { subnets: [first] };

    // Closed endpoints: callers are admitted by security group (`connections.allowDefaultPortFrom`).
    const endpoint = (id: string, service: InterfaceVpcEndpointAwsService) =>
      this.vpc.addInterfaceEndpoint(id, { service, subnets: this.instanceSubnet, open: false });
    this.sqsEndpoint = endpoint('Sqs', InterfaceVpcEndpointAwsService.SQS);
    if (!this.natGateway) {
      // Without a NAT gateway, Session Manager reaches the instances through these, the dispatcher
      // reaches Lambda and the fleet controller reaches Auto Scaling and EC2.
      this.sessionManagerEndpoints.push(
        endpoint('Ssm', InterfaceVpcEndpointAwsService.SSM),
        endpoint('SsmMessages', InterfaceVpcEndpointAwsService.SSM_MESSAGES),
        endpoint('Ec2Messages', InterfaceVpcEndpointAwsService.EC2_MESSAGES),
      );
      this.lambdaEndpoint = endpoint('Lambda', InterfaceVpcEndpointAwsService.LAMBDA);
      this.fleetControlEndpoints.push(
        endpoint('AutoScaling', InterfaceVpcEndpointAwsService.AUTOSCALING),
        endpoint('Ec2', InterfaceVpcEndpointAwsService.EC2),
      );
    }
  }
}
