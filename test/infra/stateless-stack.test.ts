import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES, FLEET_FUNCTIONS, FUNCTIONS } from '../../functions/manifests.js';
import {
  actionsOf,
  flat,
  oneResource,
  policyStatements,
  resourcesOf,
  resourcesOfStatement,
  type Statement,
} from './support/template-queries.js';
import { nagFindings, synthStateless } from './support/test-app.js';

const FUNCTION_PREFIX: Record<string, string> = {
  submit: 'SubmitFunction',
  status: 'StatusFunction',
  list: 'ListFunction',
  cancel: 'CancelFunction',
  templates: 'TemplatesFunction',
  models: 'ModelsFunction',
  'create-upload': 'CreateUploadFunction',
  authorizer: 'AuthorizerFunction',
  dispatcher: 'DispatchDispatcherFunction',
  'dead-letter': 'DispatchDeadLetterFunction',
  poller: 'PollingPollerFunction',
  'fleet-controller': 'FleetControllerFunction',
  'webhook-sender': 'DispatchWebhookSenderFunction',
};
const ROLE_PREFIX = (fn: string) => (FUNCTION_PREFIX[fn] as string).replace(/Function$/, 'Role');

describe('StatelessStack (API key mode, defaults)', () => {
  let built: ReturnType<typeof synthStateless>;
  let template: Template;

  beforeAll(() => {
    built = synthStateless({ corsOrigins: 'https://app.example.com' });
    template = built.template;
  });

  describe('functions', () => {
    it('defines one function per route and worker, no more', () => {
      const ours = Object.keys(resourcesOf(template, 'AWS::Lambda::Function')).filter((id) =>
        Object.values(FUNCTION_PREFIX).some((p) => id.startsWith(p)),
      );
      expect(ours).toHaveLength(FUNCTIONS.length + FLEET_FUNCTIONS.length);
    });

    it.each(Object.keys(FUNCTION_PREFIX))(
      '%s runs ESM-bundled on arm64, a current Node.js runtime, with JSON logs in its own group',
      (fn) => {
        const props = oneResource(
          template,
          'AWS::Lambda::Function',
          FUNCTION_PREFIX[fn] as string,
        ).Properties;
        expect(props).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
          Environment: {
            Variables: expect.objectContaining({
              POWERTOOLS_SERVICE_NAME: 'comfy-serverless',
              POWERTOOLS_METRICS_NAMESPACE: 'ComfyServerless',
            }),
          },
        });
        const logGroupId = props.LoggingConfig.LogGroup.Ref as string;
        expect(resourcesOf(template, 'AWS::Logs::LogGroup')[logGroupId]?.Properties).toEqual({
          RetentionInDays: 30,
        });
      },
    );

    it('puts only the dispatcher, the poller and the fleet controller in the VPC', () => {
      for (const [fn, prefix] of Object.entries(FUNCTION_PREFIX)) {
        const props = oneResource(template, 'AWS::Lambda::Function', prefix).Properties;
        if (fn === 'dispatcher' || fn === 'poller' || fn === 'fleet-controller') {
          expect(props.VpcConfig?.SecurityGroupIds, fn).toHaveLength(1);
        } else {
          expect(props.VpcConfig, fn).toBeUndefined();
        }
      }
    });

    it('lets the dispatcher start the poller and the fleet controller, and those functions only', () => {
      const vars = oneResource(
        template,
        'AWS::Lambda::Function',
        FUNCTION_PREFIX.dispatcher as string,
      ).Properties.Environment.Variables;
      expect(flat(vars.POLLER_FUNCTION_NAME)).toMatch(/PollingPollerFunction/);
      expect(flat(vars.FLEET_CONTROLLER_FUNCTION_NAME)).toMatch(/FleetControllerFunction/);
      const invokes = policyStatements(template, ROLE_PREFIX('dispatcher')).filter((st) =>
        actionsOf(st).includes('lambda:InvokeFunction'),
      );
      const targets = invokes.flatMap((st) => resourcesOfStatement(st as never)).map(flat);
      expect(targets.filter((t) => /PollingPollerFunction/.test(t))).toHaveLength(1);
      expect(targets.filter((t) => /FleetControllerFunction/.test(t))).toHaveLength(1);
      expect(targets).toHaveLength(2);
    });
  });

  describe('HTTP API', () => {
    it('has every route the function manifests serve behind the API key authorizer', () => {
      const routes = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route'));
      expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual(
        API_ROUTES.map((r) => `${r.method} ${r.path}`).sort(),
      );
      for (const route of routes) {
        expect(route.Properties).toMatchObject({
          AuthorizationType: 'CUSTOM',
          AuthorizerId: { Ref: expect.stringMatching(/ApiKeyAuthorizer/) },
        });
      }
    });

    it('authorizes with simple responses, cached per x-api-key header', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'REQUEST',
        AuthorizerPayloadFormatVersion: '2.0',
        EnableSimpleResponses: true,
        IdentitySource: ['$request.header.x-api-key'],
        AuthorizerResultTtlInSeconds: 300,
      });
    });

    it('allows CORS from the configured origins only', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        CorsConfiguration: {
          AllowOrigins: ['https://app.example.com'],
          AllowHeaders: Match.arrayWith(['content-type', 'x-api-key', 'idempotency-key']),
        },
      });
    });

    it('throttles the default stage and writes JSON access logs without credentials', () => {
      const stage = oneResource(template, 'AWS::ApiGatewayV2::Stage', 'Api').Properties;
      expect(stage).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      });
      const format = JSON.parse(stage.AccessLogSettings.Format);
      expect(format.requestId).toBe('$context.requestId');
      expect(stage.AccessLogSettings.Format).not.toMatch(/x-api-key|authorization/i);
    });
  });

  describe('IAM', () => {
    it('never allows an action on every resource, except the describe calls that have no resource-level permissions', () => {
      const unscoped = new Set(['autoscaling:DescribeAutoScalingGroups', 'ec2:DescribeInstances']);
      for (const [id, policy] of Object.entries(resourcesOf(template, 'AWS::IAM::Policy'))) {
        for (const statement of policy.Properties.PolicyDocument.Statement) {
          if (actionsOf(statement).every((a) => unscoped.has(a))) continue;
          expect(resourcesOfStatement(statement), id).not.toContain('*');
        }
      }
    });

    it('lets each function write its own log group only (no managed basic-execution policy)', () => {
      for (const fn of Object.keys(FUNCTION_PREFIX)) {
        const statements = policyStatements(template, ROLE_PREFIX(fn));
        const logs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
        expect(logs, fn).toHaveLength(1);
        expect(flat(logs[0]?.Resource), fn).toMatch(
          /"Fn::GetAtt":\["[A-Za-z]+Logs[0-9A-F]{8}","Arn"\]/,
        );
        const role = oneResource(template, 'AWS::IAM::Role', ROLE_PREFIX(fn)).Properties;
        expect(flat(role.ManagedPolicyArns ?? []), fn).not.toMatch(/AWSLambdaBasicExecutionRole/);
      }
    });

    it('scopes every data permission to the stateful stack or this stack', () => {
      for (const fn of Object.keys(FUNCTION_PREFIX)) {
        for (const s of policyStatements(template, ROLE_PREFIX(fn))) {
          for (const resource of resourcesOfStatement(s)) {
            expect(flat(resource), fn).toMatch(
              /"StackName":"ComfyServerless-Stateful"|"Fn::GetAtt":\["(Dispatch|Polling|FleetController|[A-Za-z]+Logs)|autoScalingGroupName\/",\{"Ref":"ComfyGroup|^"\*"$/,
            );
          }
        }
      }
    });

    it("gives read-only functions no write action but their owners' rate-limit items, and S3 access by key prefix only", () => {
      const writes = /dynamodb:(Put|Update|Delete|BatchWrite)|s3:Put|sqs:Send/;
      const rateLimitOnly = (s: Statement) =>
        flat(s).includes('"dynamodb:LeadingKeys":["RATE#*"]') &&
        actionsOf(s).every((a) => a === 'dynamodb:UpdateItem');
      for (const fn of ['status', 'list', 'authorizer', 'templates', 'models']) {
        const statements = policyStatements(template, ROLE_PREFIX(fn));
        const unconditioned = statements.filter((s) => !rateLimitOnly(s)).flatMap(actionsOf);
        expect(
          unconditioned.filter((a) => writes.test(a)),
          fn,
        ).toEqual([]);
        expect(statements.some(rateLimitOnly), fn).toBe(fn !== 'authorizer');
      }
      const templates = policyStatements(template, ROLE_PREFIX('templates'));
      expect(
        templates
          .filter((s) => !rateLimitOnly(s))
          .flatMap(actionsOf)
          .every((a) => a.startsWith('logs:')),
      ).toBe(true);
      const prefixes: Record<string, string[]> = {
        submit: ['uploads', 'workflows'],
        status: ['outputs', 'workflows'],
        list: ['outputs'],
        cancel: ['outputs', 'workflows'],
        'create-upload': ['uploads'],
        dispatcher: ['uploads', 'workflows'],
        'dead-letter': ['workflows'],
        poller: ['outputs', 'workflows'],
        templates: [],
        models: [],
        authorizer: [],
        'fleet-controller': [],
      };
      for (const [fn, expected] of Object.entries(prefixes)) {
        const s3 = policyStatements(template, ROLE_PREFIX(fn)).filter((s) =>
          actionsOf(s).some((a) => a.startsWith('s3:')),
        );
        const objectPrefixes = s3
          .flatMap(resourcesOfStatement)
          .map(flat)
          .flatMap((r) => [...r.matchAll(/"\/([a-z]+)\/\*"/g)].map((m) => m[1]));
        expect([...new Set(objectPrefixes)].sort(), fn).toEqual(expected);
        const writes = s3.filter((s) => actionsOf(s).some((a) => /^s3:(Put|Delete)/.test(a)));
        for (const s of writes) {
          expect(flat(s.Resource), fn).toMatch(
            /\/((outputs|uploads|workflows)\/\*|catalog\/comfyui\.json\.gz)/,
          );
        }
        const writesOutputs = writes.some((s) => flat(s.Resource).includes('/outputs/*'));
        expect(writesOutputs, fn).toBe(fn === 'poller');
      }
    });

    it('lets only the authorizer and the webhook parts read the API keys table, and none write it', () => {
      // Submit takes a webhook only from an owner with a signing secret; the sender signs with it.
      const readers = ['authorizer', 'submit', 'webhook-sender'];
      for (const fn of Object.keys(FUNCTION_PREFIX)) {
        const statements = policyStatements(template, ROLE_PREFIX(fn)).filter((s) =>
          flat(s.Resource).includes('ApiKeysTable'),
        );
        expect(statements.length > 0, fn).toBe(readers.includes(fn));
        for (const s of statements) {
          expect(
            actionsOf(s).filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(a)),
            fn,
          ).toEqual([]);
        }
      }
    });

    it('lets the webhook sender delay its own retries and dead-letter events, nothing more on SQS', () => {
      const sqs = policyStatements(template, ROLE_PREFIX('webhook-sender')).filter((s) =>
        actionsOf(s).some((a) => a.startsWith('sqs:')),
      );
      const on = (queue: RegExp) =>
        sqs.filter((s) => queue.test(flat(s.Resource))).flatMap(actionsOf);
      expect(on(/WebhookQueue(?!.*DeadLetter)/)).toContain('sqs:ChangeMessageVisibility');
      expect(on(/WebhookDeadLetterQueue/)).toContain('sqs:SendMessage');
      expect(on(/DispatchQueue|DispatchDeadLetterQueue/)).toEqual([]);
    });
  });

  it('outputs the API URL, bucket, GPU group and the command that creates the first key', () => {
    const outputs = template.toJSON().Outputs;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'OutputsBucketName',
        'GpuGroupName',
        'ApiKeysTableName',
        'CreateApiKeyCommand',
      ]),
    );
    expect(flat(outputs.CreateApiKeyCommand.Value)).toContain(
      'npm run keys -- create --owner <you> --table ',
    );
  });

  it('lets the poller write the node catalogue, and submit and models read it, by its exact key', () => {
    const onCatalog = (fn: string, action: RegExp) =>
      policyStatements(template, ROLE_PREFIX(fn)).some(
        (s) =>
          actionsOf(s).some((a) => action.test(a)) &&
          flat(s.Resource).includes('/catalog/comfyui.json.gz'),
      );
    for (const fn of ['poller', 'submit', 'models'])
      expect(onCatalog(fn, /^s3:GetObject/), fn).toBe(true);
    for (const fn of Object.keys(FUNCTION_PREFIX)) {
      expect(onCatalog(fn, /^s3:Put/), fn).toBe(fn === 'poller');
    }
  });

  it('passes cdk-nag AwsSolutions with no unacknowledged finding', () => {
    expect(nagFindings(built.app)).toEqual([]);
  });
});
