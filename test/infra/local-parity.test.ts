/**
 * The local runtime mirrors some deployment settings (function timeouts, SQS event source batch
 * size and concurrency, the poller's rate, the authorizer's identity source and cache TTL). This
 * checks them against the synthesized stack, so `npm start` behaves as the deployed system does.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_CORS } from '../../infra/local/api/cors.js';
import { API_THROTTLE } from '../../infra/local/api/throttle.js';
import {
  EVENT_SOURCES,
  FUNCTION_TIMEOUT_MS,
  POLLER_RATE_MS,
} from '../../infra/local/runtime/functions.js';
import { API_KEY_AUTHORIZER, API_ROUTES, WORKER_FUNCTIONS } from '../../infra/routes.js';
import { flat, oneResource, resourcesOf } from './support/template-queries.js';
import { synthStateless } from './support/test-app.js';

const pascal = (name: string) =>
  name.replace(/(^|-)([a-z])/g, (_m, _dash, c: string) => c.toUpperCase());
/** Logical id prefixes of each function (API functions at top level, workers in their constructs). */
const PREFIX: Record<string, string> = {
  dispatcher: 'DispatchDispatcherFunction',
  'dead-letter': 'DispatchDeadLetterFunction',
  poller: 'PollingPollerFunction',
};
const prefixOf = (fn: string) => PREFIX[fn] ?? `${pascal(fn)}Function`;

describe('local runtime settings match the deployed stack', () => {
  let template: Template;
  beforeAll(() => {
    template = synthStateless().template;
  });

  it.each([...new Set([...API_ROUTES.map((r) => r.fn), ...WORKER_FUNCTIONS])])(
    '%s has the same timeout',
    (fn) => {
      const props = oneResource(template, 'AWS::Lambda::Function', prefixOf(fn)).Properties;
      expect(props.Timeout).toBe((FUNCTION_TIMEOUT_MS[fn] as number) / 1000);
    },
  );

  it('runs the dispatcher and dead-letter consumers with the same batch size and concurrency', () => {
    const mappings = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping'));
    for (const [fn, local] of Object.entries(EVENT_SOURCES)) {
      const m = mappings.find((x) => flat(x.Properties.FunctionName).includes(prefixOf(fn)));
      expect(m?.Properties).toMatchObject({
        BatchSize: local.batchSize,
        ScalingConfig: { MaximumConcurrency: local.maxConcurrency },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    }
  });

  it('schedules the poller at the same rate', () => {
    const rules = Object.values(resourcesOf(template, 'AWS::Events::Rule'));
    expect(rules.map((r) => r.Properties.ScheduleExpression)).toContain(
      `rate(${POLLER_RATE_MS / 60_000} minute)`,
    );
  });

  it('authorises with the same identity source and cache TTL', () => {
    const auth = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Authorizer'))[0];
    expect(auth?.Properties).toMatchObject({
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: [...API_KEY_AUTHORIZER.identitySource],
      AuthorizerResultTtlInSeconds: API_KEY_AUTHORIZER.resultsCacheTtlSeconds,
    });
  });

  it('throttles the stage like the stack', () => {
    const stage = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Stage'))[0];
    expect(stage?.Properties.DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: API_THROTTLE.rateLimit,
      ThrottlingBurstLimit: API_THROTTLE.burstLimit,
    });
  });

  it('answers CORS like the stack when origins are configured', () => {
    const withCors = synthStateless({ corsOrigins: 'https://app.example.com' }).template;
    const api = Object.values(resourcesOf(withCors, 'AWS::ApiGatewayV2::Api'))[0];
    const cors = api?.Properties.CorsConfiguration as Record<string, unknown>;
    expect(cors).toMatchObject({
      AllowOrigins: ['https://app.example.com'],
      MaxAge: API_CORS.maxAgeSeconds,
    });
    expect([...(cors.AllowMethods as string[])].sort()).toEqual([...API_CORS.allowMethods].sort());
    expect([...(cors.AllowHeaders as string[])].sort()).toEqual([...API_CORS.allowHeaders].sort());
  });
});
