/**
 * Every API function, wired as deployed (its deps.ts from its manifest's config), applies the
 * per-owner rate limit unless OWNER_RATE_LIMIT_PER_SECOND is 0, and its manifest grants the
 * UpdateItem the limit needs.
 */
import { describe, expect, it } from 'vitest';
import { buildDeps as cancel } from '../../../functions/cancel/deps.js';
import { buildDeps as createUpload } from '../../../functions/create-upload/deps.js';
import { buildDeps as list } from '../../../functions/list/deps.js';
import { FUNCTIONS } from '../../../functions/manifests.js';
import { buildDeps as models } from '../../../functions/models/deps.js';
import { buildDeps as status } from '../../../functions/status/deps.js';
import { buildDeps as submit } from '../../../functions/submit/deps.js';
import { buildDeps as templates } from '../../../functions/templates/deps.js';
import { DynamoOwnerRateLimiter } from '../../../shared/adapters/dynamodb/owner-rate-limiter.js';
import { type FunctionManifest, loadFunctionConfig } from '../../../shared/manifest.js';

const ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1',
  AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1',
  AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:1',
  TASKS_TABLE_NAME: 'tasks',
  API_KEYS_TABLE_NAME: 'keys',
  OUTPUTS_BUCKET_NAME: 'outputs',
  DISPATCH_QUEUE_URL: 'http://127.0.0.1:1/queue/dispatch',
  LOG_LEVEL: 'SILENT',
};

const api = FUNCTIONS.filter((m) => m.trigger.kind === 'http');

/** Each API function's buildDeps, by its folder name. */
const BUILDERS: Record<string, (config: never) => { obs: { rateLimit?: unknown } }> = {
  cancel,
  'create-upload': createUpload,
  list,
  models,
  status,
  submit,
  templates,
};

function obsOf(m: FunctionManifest, env: Record<string, string>) {
  const build = BUILDERS[m.name];
  if (!build) throw new Error(`no buildDeps for ${m.name}`);
  return build(loadFunctionConfig(m, { ...ENV, ...env }) as never).obs;
}

describe('the per-owner rate limit as deployed', () => {
  it('covers every API function', () => {
    expect(api.map((m) => m.name).sort()).toEqual(Object.keys(BUILDERS).sort());
  });

  it.each(api.map((m) => [m.name, m] as const))('%s takes a token per request', (_n, m) => {
    expect(obsOf(m, {}).rateLimit).toBeInstanceOf(DynamoOwnerRateLimiter);
    expect(obsOf(m, { OWNER_RATE_LIMIT_PER_SECOND: '0' }).rateLimit).toBeUndefined();
  });

  it.each(api.map((m) => [m.name, m] as const))(
    '%s reads the limit and may update its owners’ buckets',
    (_n, m) => {
      expect(m.config).toEqual(
        expect.arrayContaining([
          'TASKS_TABLE_NAME',
          'OWNER_RATE_LIMIT_PER_SECOND',
          'OWNER_RATE_LIMIT_BURST',
        ]),
      );
      const tasks = m.resources.filter((r) => 'table' in r && r.table === 'tasks');
      expect(tasks.some((r) => r.access === 'rateLimit' || r.access === 'readWrite')).toBe(true);
    },
  );
});
