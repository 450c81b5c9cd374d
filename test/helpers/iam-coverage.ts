/**
 * What an AWS request needs from IAM, and whether a role of the synthesized stateless template
 * allows it. A request is recorded from the SDK client that sent it (service, operation and the
 * resource names in its input); the resources are resolved through the function's environment: the
 * local value of a variable (a table name, a queue URL) is matched with the same variable in the
 * deployed function, whose CloudFormation value names the resource the grants point at.
 */
import type { Template } from 'aws-cdk-lib/assertions';

/** One AWS request a function made. */
export interface AwsCall {
  /** The function it was made in (its folder under functions/). */
  fn: string;
  service: string;
  operation: string;
  input: Record<string, unknown>;
}

/** An IAM action on a resource given by the variable that names it, plus a suffix (key, index). */
export interface Need {
  action: string;
  /** The value of the resource's variable as the local runtime set it. */
  value: string;
  suffix: string;
  /** DynamoDB: the partition key value of the item written or read (for `dynamodb:LeadingKeys`). */
  leadingKey?: string;
}

type Middleware = (
  next: (args: { input: Record<string, unknown> }) => Promise<unknown>,
  context: { clientName?: string; commandName?: string },
) => (args: { input: Record<string, unknown> }) => Promise<unknown>;
interface Attachable {
  middlewareStack: { add(...args: never[]): void };
}

/** Records every command sent through the clients it is attached to, with the scope it ran in. */
export class AwsCallRecorder {
  readonly calls: AwsCall[] = [];
  private readonly attached = new WeakSet<object>();
  constructor(private readonly scope: () => string | undefined) {}

  attach(client: Attachable | undefined): void {
    if (!client || this.attached.has(client.middlewareStack)) return;
    this.attached.add(client.middlewareStack);
    const middleware: Middleware = (next, context) => async (args) => {
      const fn = this.scope();
      if (fn) {
        this.calls.push({
          fn,
          service: (context.clientName ?? '?').replace(/Client$/, ''),
          operation: (context.commandName ?? '?').replace(/Command$/, ''),
          input: args.input,
        });
      }
      return next(args);
    };
    (client.middlewareStack.add as unknown as (m: Middleware, o: object) => void)(middleware, {
      step: 'initialize',
      name: 'iamCoverageRecorder',
      override: true,
    });
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** The IAM actions (and resources) a request needs; undefined for an operation not mapped here. */
export function needsOf(call: AwsCall): Need[] | undefined {
  const { service, operation: op, input } = call;
  if (service === 'DynamoDB') {
    const table = (t: unknown, index?: unknown, item?: unknown) => {
      const key = (item ?? {}) as Record<string, unknown>;
      const leading = Object.values(key)[0];
      return {
        value: str(t),
        suffix: index ? `/index/${str(index)}` : '',
        ...(typeof leading === 'string' ? { leadingKey: leading } : {}),
      };
    };
    if (op === 'TransactWriteItems') {
      const kinds = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem' } as const;
      type Body = { TableName: string; Key?: object; Item?: { pk?: unknown } };
      return (input.TransactItems as Record<string, Body>[]).flatMap((item) =>
        Object.entries(item).map(([kind, body]) => ({
          action: `dynamodb:${kinds[kind as keyof typeof kinds] ?? 'ConditionCheckItem'}`,
          ...table(body.TableName, undefined, body.Key ?? { pk: body.Item?.pk }),
        })),
      );
    }
    if (op === 'TransactGetItems') {
      return (input.TransactItems as { Get: { TableName: string } }[]).map((item) => ({
        action: 'dynamodb:GetItem',
        ...table(item.Get.TableName),
      }));
    }
    if (op === 'BatchGetItem' || op === 'BatchWriteItem') {
      return Object.keys(input.RequestItems as object).map((t) => ({
        action: `dynamodb:${op}`,
        ...table(t),
      }));
    }
    const item = input.Key ?? { pk: (input.Item as { pk?: unknown } | undefined)?.pk };
    const keyed = op === 'Query' || op === 'Scan' ? undefined : item;
    return [{ action: `dynamodb:${op}`, ...table(input.TableName, input.IndexName, keyed) }];
  }
  if (service === 'S3') {
    const object = (action: string) => [
      { action, value: str(input.Bucket), suffix: `/${str(input.Key)}` },
    ];
    switch (op) {
      case 'GetObject':
      case 'HeadObject':
        return object('s3:GetObject');
      case 'PutObject':
      case 'CreateMultipartUpload':
      case 'UploadPart':
      case 'CompleteMultipartUpload':
        return object('s3:PutObject');
      case 'AbortMultipartUpload':
        return object('s3:AbortMultipartUpload');
      case 'DeleteObject':
        return object('s3:DeleteObject');
      case 'ListObjectsV2':
        return [{ action: 's3:ListBucket', value: str(input.Bucket), suffix: '' }];
      default:
        return undefined;
    }
  }
  if (service === 'SQS') {
    const actions: Record<string, string> = {
      SendMessage: 'sqs:SendMessage',
      SendMessageBatch: 'sqs:SendMessage',
      ChangeMessageVisibility: 'sqs:ChangeMessageVisibility',
      ChangeMessageVisibilityBatch: 'sqs:ChangeMessageVisibility',
      DeleteMessage: 'sqs:DeleteMessage',
      DeleteMessageBatch: 'sqs:DeleteMessage',
      GetQueueAttributes: 'sqs:GetQueueAttributes',
      ReceiveMessage: 'sqs:ReceiveMessage',
    };
    const action = actions[op];
    return action ? [{ action, value: str(input.QueueUrl), suffix: '' }] : undefined;
  }
  if (service === 'Lambda' && op === 'Invoke') {
    return [{ action: 'lambda:InvokeFunction', value: str(input.FunctionName), suffix: '' }];
  }
  return undefined;
}

/**
 * A CloudFormation value as text naming the resource: a stateful-stack output by its resource
 * (`TasksTable`, `OutputsBucket`), a resource of this stack by its logical id, joins concatenated.
 */
function symbolic(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (v['Fn::Join']) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(symbolic).join(sep);
    }
    if (v['Fn::GetStackOutput']) {
      const name = (v['Fn::GetStackOutput'] as { OutputName: string }).OutputName;
      return `stateful:${name
        .replace(/^PublishOutput(FnGetAtt|Ref)/, '')
        .replace(/[0-9A-F]{8}$/, '')
        .replace(/Arn$/, '')}`;
    }
    if (v['Fn::GetAtt']) return `stack:${(v['Fn::GetAtt'] as string[])[0]}`;
    if (typeof v.Ref === 'string') return `stack:${v.Ref}`;
  }
  return JSON.stringify(value);
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
}

const globRe = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

/** A deployed function: its environment and the statements of its role's policies. */
export interface DeployedFunction {
  env: Record<string, unknown>;
  statements: Statement[];
}

/** The deployed function whose description is `description`. */
export function deployedFunction(template: Template, description: string): DeployedFunction {
  const fns = Object.values(template.findResources('AWS::Lambda::Function')).filter(
    (r) => r.Properties?.Description === description,
  );
  if (fns.length !== 1) throw new Error(`${fns.length} functions described "${description}"`);
  const props = (fns[0] as { Properties: Record<string, unknown> }).Properties;
  const role = (props.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const statements = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
  return { env, statements };
}

/**
 * Why `need` is not allowed to the deployed function, or undefined when a statement allows it.
 * `localEnv` is the environment the local runtime gave the function (the variable a value came from).
 */
export function uncovered(
  need: Need,
  fn: DeployedFunction,
  localEnv: Record<string, string | undefined>,
): string | undefined {
  const variable = Object.keys(fn.env).find((k) => localEnv[k] === need.value);
  if (!variable) return `${need.action} on ${need.value}: no variable of the function names it`;
  const resource = `${symbolic(fn.env[variable])}${need.suffix}`;
  const allowed = fn.statements.some((s) => {
    if (s.Effect !== 'Allow') return false;
    const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
    const resources = (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map(symbolic);
    return (
      actions.some((a) => globRe(a).test(need.action)) &&
      resources.some((r) => globRe(r).test(resource)) &&
      conditionHolds(s.Condition, need)
    );
  });
  return allowed ? undefined : `${need.action} on ${resource} (${variable})`;
}

/**
 * Whether the statement's condition lets the request through. Only the partition-key condition the
 * grants use (`ForAllValues:StringLike` on `dynamodb:LeadingKeys`) is understood; any other
 * condition counts as not met, so a grant this check cannot read never passes for one it could.
 */
function conditionHolds(condition: Statement['Condition'], need: Need): boolean {
  if (!condition) return true;
  return Object.entries(condition).every(([operator, tests]) =>
    Object.entries(tests).every(([key, patterns]) => {
      if (operator !== 'ForAllValues:StringLike' || key !== 'dynamodb:LeadingKeys') return false;
      if (need.leadingKey === undefined) return false;
      const list = Array.isArray(patterns) ? patterns : [patterns];
      return list.some((p) => globRe(p).test(need.leadingKey as string));
    }),
  );
}
