/**
 * The stateless stack builds every function from its manifest (functions/<name>/manifest.ts): its
 * timeout, memory and trigger, and an environment holding the variables the manifest reads and no
 * other, so no function is handed configuration it ignores (in API-key mode and in JWT mode with
 * the other options set).
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FLEET_FUNCTIONS, FUNCTIONS as LOCAL_AND_DEPLOYED } from '../../functions/manifests.js';

/** Every function the stacks deploy: those npm start runs too, and the GPU fleet's. */
const FUNCTIONS = [...LOCAL_AND_DEPLOYED, ...FLEET_FUNCTIONS];

import { type FunctionManifest, resourceVariable } from '../../shared/manifest.js';
import { flat, type Resource, resourcesOf } from './support/template-queries.js';
import { synthStateless } from './support/test-app.js';

/** Set by ServiceFunction on every function for Powertools and source maps, not shared/config.ts. */
const RUNTIME_VARIABLES = [
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'NODE_OPTIONS',
];

const functionsOf = (template: Template) =>
  Object.entries(resourcesOf(template, 'AWS::Lambda::Function')).filter(
    ([, r]) => r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME !== undefined,
  );

function deployed(template: Template, m: FunctionManifest): [string, Resource] {
  const found = functionsOf(template).filter(([, r]) => r.Properties.Description === m.description);
  expect(found, m.name).toHaveLength(1);
  return found[0] as [string, Resource];
}

describe('functions built from their manifests', () => {
  let template: Template;
  beforeAll(() => {
    // Operator settings for some functions: each must reach only the functions that read it.
    template = synthStateless({
      functionEnv: JSON.stringify({
        MAX_IN_FLIGHT: '3',
        POLL_INTERVAL_MS: '700',
        OUTPUT_URL_TTL_SECONDS: '600',
        TEMPLATES_DIR: '/opt/templates',
        FLEET_START_SECONDS: '60',
      }),
    }).template;
  });

  it('deploys exactly the functions of functions/manifests.ts', () => {
    expect(functionsOf(template)).toHaveLength(FUNCTIONS.length);
  });

  it.each(FUNCTIONS.map((m) => [m.name, m] as const))(
    '%s gets no config variable its manifest does not read',
    (_name, m) => {
      const vars = Object.keys(deployed(template, m)[1].Properties.Environment.Variables);
      const allowed = new Set<string>([...m.config, ...RUNTIME_VARIABLES]);
      expect(vars.filter((v) => !allowed.has(v))).toEqual([]);
    },
  );

  it.each(FUNCTIONS.map((m) => [m.name, m] as const))(
    '%s gets the name of every resource it uses, and its timeout and memory',
    (_name, m) => {
      const props = deployed(template, m)[1].Properties;
      const needed = m.resources.map(resourceVariable).filter((v) => v !== undefined);
      expect(Object.keys(props.Environment.Variables)).toEqual(expect.arrayContaining(needed));
      if (m.vpc) expect(props.Environment.Variables).toHaveProperty('COMFYUI_URLS');
      expect(props.Timeout).toBe(m.timeoutSeconds);
      expect(props.MemorySize).toBe(m.memoryMb);
    },
  );

  it('hands an operator setting only to the functions that read it', () => {
    const holders = (variable: string) =>
      FUNCTIONS.filter(
        (m) => variable in deployed(template, m)[1].Properties.Environment.Variables,
      ).map((m) => m.name);
    expect(holders('MAX_IN_FLIGHT')).toEqual(['dispatcher']);
    expect(holders('POLL_INTERVAL_MS')).toEqual(['poller']);
    expect(holders('OUTPUT_URL_TTL_SECONDS').sort()).toEqual([
      'cancel',
      'list',
      'status',
      'webhook-sender',
    ]);
    expect(holders('WEBHOOK_DLQ_URL')).toEqual(['webhook-sender']);
    expect(holders('WEBHOOK_QUEUE_URL').sort()).toEqual([
      'cancel',
      'dead-letter',
      'dispatcher',
      'poller',
      'submit',
      'webhook-sender',
    ]);
    expect(holders('TEMPLATES_DIR').sort()).toEqual(['submit', 'templates']);
    // The stack derives the GPUs' start time from their setup; the operator's value wins.
    expect(holders('FLEET_START_SECONDS')).toEqual(['fleet-controller']);
    const controller = FUNCTIONS.find((m) => m.name === 'fleet-controller') as FunctionManifest;
    expect(
      deployed(template, controller)[1].Properties.Environment.Variables.FLEET_START_SECONDS,
    ).toBe('60');
  });

  it('connects each SQS trigger with the batch size and concurrency of its manifest', () => {
    const mappings = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping'));
    const sqs = FUNCTIONS.filter((m) => m.trigger.kind === 'sqs');
    expect(mappings).toHaveLength(sqs.length);
    for (const m of sqs) {
      if (m.trigger.kind !== 'sqs') continue;
      const [id] = deployed(template, m);
      const mapping = mappings.find((x) => flat(x.Properties.FunctionName).includes(id));
      expect(mapping?.Properties, m.name).toMatchObject({
        BatchSize: m.trigger.batchSize,
        ScalingConfig: { MaximumConcurrency: m.trigger.maxConcurrency },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    }
  });

  it('schedules each scheduled function at the rate of its manifest', () => {
    const rules = Object.values(resourcesOf(template, 'AWS::Events::Rule'));
    for (const m of FUNCTIONS) {
      if (m.trigger.kind !== 'schedule') continue;
      const [id] = deployed(template, m);
      const rule = rules.find((r) => flat(r.Properties.Targets).includes(id));
      const n = m.trigger.rateMinutes;
      expect(rule?.Properties.ScheduleExpression).toBe(`rate(${n} minute${n === 1 ? '' : 's'})`);
    }
  });
});

describe('functions of every deployment variant', () => {
  it('hands no function a config variable its manifest does not read (JWT auth, options set)', () => {
    const { template } = synthStateless({
      authMode: 'jwt',
      jwtIssuer: 'https://idp.example.com/',
      jwtAudience: 'comfy-api',
      natGateway: 'false',
      pollerReservedConcurrency: '1',
      dispatchMaxConcurrency: '5',
      functionEnv: JSON.stringify({ MAX_IN_FLIGHT: '4', LOG_LEVEL: 'DEBUG' }),
    });
    const found = functionsOf(template);
    // Every function but the API-key authorizer, each recognised by its manifest's description.
    expect(found).toHaveLength(FUNCTIONS.filter((m) => m.trigger.kind !== 'authorizer').length);
    for (const [id, r] of found) {
      const m = FUNCTIONS.find((f) => f.description === r.Properties.Description);
      expect(m, `${id} has no manifest`).toBeDefined();
      const allowed = new Set<string>([...(m?.config ?? []), ...RUNTIME_VARIABLES]);
      const vars = Object.keys(r.Properties.Environment.Variables);
      expect(
        vars.filter((v) => !allowed.has(v)),
        m?.name,
      ).toEqual([]);
    }
  });
});
