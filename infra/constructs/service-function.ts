/**
 * One Lambda function of the product: a `NodejsFunction` bundled locally by esbuild (never Docker) as
 * a minified ESM file with source maps, on arm64 and a current Node.js runtime, logging structured
 * JSON to its own log group, with the Powertools settings and the environment variables that
 * shared/config.ts reads. Grants are the caller's job (`table.grantReadWriteData(fn.fn)` and so on).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type * as z from 'zod';
import type { ConfigSchema } from '../../shared/config.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../shared/telemetry-names.js';
import { LOCK_FILE, PROJECT_ROOT } from '../paths.js';

/** Variables of shared/config.ts, by their exact names: a typo is a type error. */
export type FunctionEnvironment = Partial<Record<keyof z.input<typeof ConfigSchema>, string>>;

/** The runtime every function uses; esbuild targets the same Node.js major. */
const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;
const ESBUILD_TARGET = 'node24';

/**
 * Makes `require` available inside the ESM bundle, for the few dependencies that still call it
 * (esbuild's ESM output has no `require` of its own).
 */
const REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module';" +
  'const require = __createRequire(import.meta.url);';

export interface ServiceFunctionProps {
  /** The TypeScript entry (exports `handler`), e.g. functions/submit/index.ts. */
  readonly entry: string;
  /**
   * What the function does, shown in the console.
   * @default - none
   */
  readonly description?: string;
  /**
   * Configuration for shared/config.ts.
   * @default {}
   */
  readonly environment?: FunctionEnvironment;
  /**
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB (CPU and network bandwidth grow with it).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Run in this VPC (needed to reach ComfyUI on its private address).
   * @default - not in a VPC
   */
  readonly vpc?: IVpc;
  /**
   * Subnets in `vpc`.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: SubnetSelection;
  /**
   * Security groups in `vpc`.
   * @default - one created by Lambda
   */
  readonly securityGroups?: ISecurityGroup[];
  /**
   * Concurrency reserved for (and capped at) this number.
   * @default - none: the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Folder holding package.json and the lock file; esbuild resolves imports from here.
   * @default - the repository root
   */
  readonly projectRoot?: string;
  /**
   * Packages with native code (e.g. sharp): left out of the esbuild bundle and installed beside it
   * for the function's platform (linux, arm64, glibc) at the version the root package.json pins.
   * Bundling then reaches the npm registry (or npm's cache).
   * @default none
   */
  readonly nativeModules?: readonly string[];
}

/** `npm install` of the native modules into the bundle, for Lambda's platform rather than this machine's. */
function nativeInstall(
  modules: readonly string[],
  projectRoot: string,
  outputDir: string,
): string[] {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const specs = modules.map((m) => {
    const version = pkg.dependencies?.[m];
    if (!version) throw new Error(`${m} must be a dependency of ${projectRoot}/package.json`);
    return `${m}@${version}`;
  });
  return [
    `npm install --prefix "${outputDir}" --no-save --no-package-lock --ignore-scripts --prefer-offline ` +
      `--no-audit --no-fund --cpu=arm64 --os=linux --libc=glibc ${specs.join(' ')}`,
  ];
}

export class ServiceFunction extends Construct {
  public readonly fn: NodejsFunction;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      // Logs of a function that no longer exists are not worth keeping past its stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Its own role: write access to its own log group only, instead of the managed
    // AWSLambdaBasicExecutionRole (logs:* on every log group of the account).
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${id}`,
    });
    this.logGroup.grantWrite(role);
    const projectRoot = props.projectRoot ?? PROJECT_ROOT;
    this.fn = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      projectRoot,
      depsLockFilePath: props.projectRoot ? `${projectRoot}/package-lock.json` : LOCK_FILE,
      vpc: props.vpc,
      vpcSubnets: props.vpc ? props.vpcSubnets : undefined,
      securityGroups: props.securityGroups,
      allowPublicSubnet: false,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: ESBUILD_TARGET,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        banner: REQUIRE_BANNER,
        // Only esbuild's warnings and errors: `cdk synth --quiet` prints no bundle listings.
        logLevel: LogLevel.WARNING,
        // The SDK is bundled (not taken from the runtime) so the deployed code runs the exact,
        // pinned versions the tests ran; tree-shaking keeps only the clients a function uses.
        externalModules: [...(props.nativeModules ?? [])],
        forceDockerBundling: false,
        ...(props.nativeModules?.length
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (_in: string, outputDir: string) =>
                  nativeInstall(props.nativeModules ?? [], projectRoot, outputDir),
              },
            }
          : {}),
      },
    });
    if (props.vpc) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason:
          'A function in a VPC needs the EC2 network-interface actions of this AWS-maintained ' +
          'policy; Describe/Create/DeleteNetworkInterface only work on resource "*".',
      });
    }
  }
}
