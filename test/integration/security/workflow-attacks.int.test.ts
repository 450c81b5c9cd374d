/**
 * The attacks a tenant can try on a shared ComfyUI through a raw workflow (or a template), each sent
 * through the local API server with the real authorizer and functions: every one is refused at
 * submit with a 4xx, the error shape, the policy's code and the input's path, and nothing is
 * stored. Then the reason, at the server itself (the stand-in always; the real ComfyUI too when
 * COMFYUI_URL is set): a literal "<victim task>/<file> [output]" read is what ComfyUI would run.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComfyStandIn, startComfyStandIn } from '../../../infra/local/comfy-standin/index.js';
import { runKeys } from '../../../scripts/keys.js';
import { HttpComfyClient } from '../../../shared/adapters/comfyui/http-comfy-client.js';
import { ComfyRejectedError } from '../../../shared/domain/errors.js';
import type { ComfyWorkflow } from '../../../shared/domain/task.js';
import { baseWorkflow, WORKFLOW_ATTACKS } from '../../helpers/workflow-attacks.js';
import { emptyToSave } from '../comfyui/workflows.js';
import { errorShapeProblem, type SecureApi, startSecureApi } from './support/secure-api.js';

/** An operator template that leaves the sampler's steps to the caller, unbounded. */
const HOG_TEMPLATE = {
  name: 'hog',
  description: 'steps without a bound',
  params: {
    steps: {
      type: 'integer',
      description: 'steps',
      default: 20,
      targets: [{ node: '3', input: 'steps' }],
    },
    image: {
      type: 'string',
      description: 'file',
      default: 'x.png',
      targets: [{ node: '9', input: 'filename_prefix' }],
    },
  },
  workflow: baseWorkflow(),
};

describe('workflow attacks at submit', () => {
  let api: SecureApi;
  const submit = (body: unknown) =>
    api.call('POST', '/v1/tasks', {
      headers: { 'x-api-key': api.keys.mallory, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostile-templates-'));
    writeFileSync(join(dir, 'hog.json'), JSON.stringify(HOG_TEMPLATE));
    api = await startSecureApi({ env: { TEMPLATES_DIR: dir } });
  });
  afterAll(() => api.close());

  it('accepts the plain workflow the attacks start from (so the refusals below can fail)', async () => {
    // Act
    const res = await submit({ workflow: baseWorkflow() });
    // Assess
    expect(res.status).toBe(202);
  });

  it.each(WORKFLOW_ATTACKS.map((a) => [a.name, a] as const))(
    'refuses %s with a 400 naming the input, storing nothing',
    async (_name, attack) => {
      // Prepare
      const before = api.writes();
      // Act
      const res = await submit({ workflow: attack.workflow });
      // Assess
      expect(res.status, res.text).toBe(400);
      expect(errorShapeProblem(res.text)).toBeUndefined();
      const { error } = JSON.parse(res.text);
      expect(error.code).toBe(attack.code);
      expect(error.details.issues[0].path).toEqual(['body', 'workflow', ...attack.path]);
      if (attack.limit) expect(error.details.limit).toBe(attack.limit);
      expect(api.writes()).toBe(before);
    },
  );

  it("applies an owner's own limits, set with npm run keys, in place of the deployment's", async () => {
    // Prepare
    const env = {
      API_KEYS_TABLE_NAME: api.stack.names.apiKeysTable,
      AWS_ENDPOINT_URL_DYNAMODB: api.stack.endpoints.dynamodb,
    };
    const out: string[] = [];
    await runKeys(['create', '--owner', 'trent', '--json'], env, (l) => out.push(l));
    const trentKey = JSON.parse(out[0] ?? '{}').key as string;
    expect(await runKeys(['set-limits', '--owner', 'trent', '--steps', '300'], env, () => {})).toBe(
      0,
    );
    const steps = (n: number) => {
      const wf = baseWorkflow();
      (wf['3'] as { inputs: Record<string, unknown> }).inputs.steps = n;
      return JSON.stringify({ workflow: wf });
    };
    const as = (key: string, body: string) =>
      api.call('POST', '/v1/tasks', {
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body,
      });
    // Act
    const trentOk = await as(trentKey, steps(250));
    const trentOver = await as(trentKey, steps(301));
    const malloryOver = await as(api.keys.mallory, steps(250));
    // Assess
    expect(trentOk.status, trentOk.text).toBe(202);
    expect(trentOver.status).toBe(400);
    expect(JSON.parse(trentOver.text).error.details).toMatchObject({
      limit: 'steps',
      max: 300,
      value: 301,
    });
    expect(malloryOver.status).toBe(400);
    expect(JSON.parse(malloryOver.text).error.details).toMatchObject({ limit: 'steps', max: 150 });
  });

  it('applies the same checks to the workflow a template renders', async () => {
    // Prepare
    const before = api.writes();
    // Act
    const hog = await submit({ template: 'hog', params: { steps: 10000 } });
    const outside = await submit({ template: 'hog', params: { image: '../loras/x' } });
    // Assess
    expect(hog.status).toBe(400);
    expect(JSON.parse(hog.text).error).toMatchObject({
      code: 'WORKFLOW_LIMIT_EXCEEDED',
      details: { limit: 'steps', max: 150, value: 10000 },
    });
    expect(JSON.parse(hog.text).error.details.issues[0].path).toEqual([
      'template',
      'hog',
      'workflow',
      '3',
      'inputs',
      'steps',
    ]);
    expect(outside.status).toBe(400);
    expect(JSON.parse(outside.text).error.code).toBe('WORKFLOW_POLICY_VIOLATION');
    expect(api.writes()).toBe(before);
  });
});

const realUrl = process.env.COMFYUI_URL;
const targets: [string, string | undefined][] = [
  ['the stand-in', undefined],
  ...(realUrl ? [[`the real ComfyUI at ${realUrl}`, realUrl] as [string, string]] : []),
];
if (!realUrl) {
  console.log('workflow attacks at a real ComfyUI skipped: COMFYUI_URL is not set');
}

describe.each(targets)(
  'what %s does with the read attacks when nothing refuses them',
  (_label, url) => {
    let standIn: ComfyStandIn | undefined;
    let comfy: HttpComfyClient;
    let api: SecureApi;
    const victimTask = randomUUID();
    let victimFile = '';

    beforeAll(async () => {
      standIn = url ? undefined : await startComfyStandIn({ executionMs: 10 });
      comfy = HttpComfyClient.create({
        baseUrl: url ?? (standIn as ComfyStandIn).url,
        headersTimeout: 120_000,
      });
      api = await startSecureApi();
      // The victim's output, where the dispatcher puts it: output/<taskId>/...
      const promptId = randomUUID();
      await comfy.submitPrompt({
        promptId,
        workflow: emptyToSave(`${victimTask}/victim`, 0x123456, 8),
        clientId: 'policy-test',
      });
      const run = await waitForRun(comfy, promptId);
      const file = run.outputs[0];
      expect(file?.subfolder).toBe(victimTask);
      victimFile = `${file?.subfolder}/${file?.filename}`;
    }, 180_000);
    afterAll(async () => {
      await api?.close();
      await comfy?.close();
      await standIn?.stop();
    });

    it('would run a read of another task output by its annotated name; submit refuses it', async () => {
      // Prepare
      const variants = [`${victimFile} [output]`, `../output/${victimFile}`];
      const answers: Record<string, string> = {};
      // Act
      for (const image of variants) {
        const workflow: ComfyWorkflow = {
          '1': { class_type: 'LoadImage', inputs: { image } },
          '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
        };
        answers[image] = await rawAnswer(comfy, workflow);
        const refused = await api.call('POST', '/v1/tasks', {
          headers: { 'x-api-key': api.keys.mallory, 'content-type': 'application/json' },
          body: JSON.stringify({ workflow }),
        });
        expect(refused.status).toBe(400);
        expect(JSON.parse(refused.text).error.code).toBe('WORKFLOW_POLICY_VIOLATION');
      }
      console.log(`${_label} answered the raw read attacks:`, answers);
      // Assess: both reads are accepted and run at the server itself (ComfyUI v0.3.64 joins the name
      // onto its input folder without keeping it inside; the stand-in does the same).
      expect(answers[`${victimFile} [output]`]).toBe('accepted, ran: success');
      expect(answers[`../output/${victimFile}`]).toBe('accepted, ran: success');
    }, 180_000);
  },
);

/** What the server does with the workflow when it is sent to it directly. */
async function rawAnswer(comfy: HttpComfyClient, workflow: ComfyWorkflow): Promise<string> {
  const promptId = randomUUID();
  try {
    await comfy.submitPrompt({ promptId, workflow, clientId: 'policy-test' });
  } catch (err) {
    if (err instanceof ComfyRejectedError) {
      const first = err.nodeErrors[0]?.errors[0];
      return `rejected: ${err.error.type}${first ? ` / ${first.type}` : ''}`;
    }
    throw err;
  }
  const run = await waitForRun(comfy, promptId);
  return `accepted, ran: ${run.outcome.kind}`;
}

async function waitForRun(comfy: HttpComfyClient, promptId: string) {
  const deadline = Date.now() + 170_000;
  while (Date.now() < deadline) {
    const run = await comfy.getHistory(promptId);
    if (run) return run;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`prompt ${promptId} did not finish`);
}
