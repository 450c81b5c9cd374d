/**
 * The node catalogue end to end: the poller's composition reads a ComfyUI server's /object_info and
 * /models over HTTP (the stand-in; the real server too when COMFYUI_URL is set) and publishes them to
 * S3 (fauxqs); the API functions, wired as deployed, then refuse at submit what that server would
 * refuse, and GET /v1/models lists its models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps as buildPollerDeps } from '../../../functions/poller/deps.js';
import { type ComfyStandIn, startComfyStandIn } from '../../../infra/local/comfy-standin/index.js';
import { bodyOf } from '../../helpers/api-events.js';
import { type ApiStack, createApiStack } from '../../helpers/api-stack.js';

const REAL = process.env.COMFYUI_URL;

const SERVERS: [string, string | undefined][] = [
  ['the stand-in', undefined],
  ...(REAL ? [['the real ComfyUI', REAL] as [string, string]] : []),
];

describe.each(SERVERS)('pre-flight validation against %s', (_name, realUrl) => {
  let comfy: ComfyStandIn | undefined;
  let api: ApiStack;
  let url: string;
  let checkpoints: string[];

  beforeAll(async () => {
    if (realUrl) url = realUrl;
    else {
      comfy = await startComfyStandIn({ checkpoints: ['sd15.safetensors', 'xl/base.safetensors'] });
      url = comfy.url;
    }
    api = await createApiStack({ CATALOG_CACHE_SECONDS: '0' });
    const poller = buildPollerDeps(api.stack.config({ COMFYUI_URLS: url }), api.stack.clients);
    // Nothing published yet: submit accepts (the dispatcher's check applies).
    const before = await api.submit({
      template: 'txt2img',
      params: { prompt: 'x', checkpoint: 'nowhere.safetensors' },
    });
    expect(before.statusCode).toBe(202);
    expect(await poller.publishCatalog()).toBe(true);
    const models = await api.models();
    checkpoints = bodyOf(models).models.checkpoints;
  });
  afterAll(async () => {
    await comfy?.stop();
  });

  it("lists the server's models per folder", () => {
    expect(checkpoints.length).toBeGreaterThan(0);
    if (!realUrl) expect(checkpoints).toEqual(['sd15.safetensors', 'xl/base.safetensors']);
  });

  it('refuses an unavailable checkpoint in milliseconds, listing the available ones', async () => {
    const res = await api.submit({
      template: 'txt2img',
      params: { prompt: 'x', checkpoint: 'nowhere.safetensors' },
    });
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).error).toMatchObject({
      code: 'MODEL_NOT_AVAILABLE',
      details: {
        issues: [{ path: ['template', 'txt2img', 'workflow', '4', 'inputs', 'ckpt_name'] }],
        available: { checkpoints },
      },
    });
  });

  it('refuses unknown nodes, missing inputs, wrong types and out-of-range numbers', async () => {
    const base = {
      '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: 0 } },
      '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } },
    };
    const cases: [Record<string, unknown>, string, unknown[]][] = [
      [
        { ...base, '3': { class_type: 'NoSuchNode', inputs: {} } },
        'UNKNOWN_NODE_TYPE',
        ['body', 'workflow', '3', 'class_type'],
      ],
      [
        { ...base, '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, color: 0 } } },
        'INVALID_NODE_INPUT',
        ['body', 'workflow', '1', 'inputs', 'batch_size'],
      ],
      [
        {
          ...base,
          '1': {
            class_type: 'EmptyImage',
            inputs: { width: 'wide', height: 64, batch_size: 1, color: 0 },
          },
        },
        'INVALID_NODE_INPUT',
        ['body', 'workflow', '1', 'inputs', 'width'],
      ],
      [
        {
          ...base,
          '1': {
            class_type: 'EmptyImage',
            inputs: { width: 64, height: 64, batch_size: 1, color: -1 },
          },
        },
        'INVALID_NODE_INPUT',
        ['body', 'workflow', '1', 'inputs', 'color'],
      ],
    ];
    for (const [workflow, code, path] of cases) {
      const res = await api.submit({ workflow });
      expect(res.statusCode, code).toBe(400);
      expect(bodyOf(res).error.code).toBe(code);
      expect(bodyOf(res).error.details.issues[0].path).toEqual(path);
    }
    expect((await api.submit({ workflow: base })).statusCode).toBe(202);
  });

  it('accepts the txt2img template with a checkpoint the server has', async () => {
    const res = await api.submit({
      template: 'txt2img',
      params: { prompt: 'x', checkpoint: checkpoints[0] },
    });
    expect(res.statusCode).toBe(202);
  });
});
