import { describe, expect, it } from 'vitest';
import { createHandler as modelsHandler } from '../../../functions/models/handler.js';
import { createHandler as submitHandler } from '../../../functions/submit/handler.js';
import { nodeDefs } from '../../../infra/local/comfy-standin/node-defs.js';
import { compactCatalog, type NodeCatalog } from '../../../shared/catalog/node-catalog.js';
import { apiTestDeps } from '../../helpers/api-deps.js';
import { apiEvent, bodyOf, lambdaContext } from '../../helpers/api-events.js';

const catalog = (checkpoints: string[]): NodeCatalog => ({
  version: 1,
  publishedAt: '2026-01-01T00:00:00.000Z',
  servers: [
    compactCatalog(
      'http://gpu-1:8188',
      nodeDefs({ checkpoints, inputs: [] }) as unknown as Record<string, unknown>,
      { checkpoints, loras: [], custom_nodes: ['x.py'] },
      '2026-01-01T00:00:00.000Z',
    ),
  ],
});

function setup() {
  const deps = apiTestDeps();
  const submit = (body: unknown) =>
    submitHandler(deps)(apiEvent({ method: 'POST', path: '/v1/tasks', body }), lambdaContext());
  const models = () => modelsHandler(deps)(apiEvent({ path: '/v1/models' }), lambdaContext());
  return { deps, submit, models };
}
const txt2img = (checkpoint: string) => ({
  template: 'txt2img',
  params: { prompt: 'a lighthouse', checkpoint },
});

describe('pre-flight validation at submit', () => {
  it('accepts any well-formed workflow until a catalogue is published', async () => {
    const { deps, submit } = setup();
    const res = await submit(txt2img('not-on-any-server.safetensors'));
    expect(res.statusCode).toBe(202);
    expect(deps.tasks.all()).toHaveLength(1);
  });

  it('refuses a model the servers lack with 400, the path and the names they have, storing nothing', async () => {
    const { deps, submit } = setup();
    deps.catalogStore.catalog = catalog(['sd15.safetensors']);
    const res = await submit(txt2img('not-on-any-server.safetensors'));
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res)).toMatchObject({
      error: {
        code: 'MODEL_NOT_AVAILABLE',
        details: {
          issues: [{ path: ['template', 'txt2img', 'workflow', '4', 'inputs', 'ckpt_name'] }],
          available: { checkpoints: ['sd15.safetensors'] },
        },
      },
    });
    expect(deps.tasks.all()).toEqual([]);
    expect(deps.queue.sent).toEqual([]);
  });

  it('refuses an unknown node type in a raw workflow', async () => {
    const { deps, submit } = setup();
    deps.catalogStore.catalog = catalog(['sd15.safetensors']);
    const res = await submit({
      workflow: {
        '1': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'x' } },
        '2': { class_type: 'NodeOfAnotherServer', inputs: {} },
      },
    });
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).error).toMatchObject({
      code: 'UNKNOWN_NODE_TYPE',
      details: { issues: [{ path: ['body', 'workflow', '2', 'class_type'] }] },
    });
    expect(deps.tasks.all()).toEqual([]);
  });

  it('accepts a workflow the servers can run', async () => {
    const { submit, deps } = setup();
    deps.catalogStore.catalog = catalog(['sd15.safetensors']);
    expect((await submit(txt2img('sd15.safetensors'))).statusCode).toBe(202);
  });
});

describe('GET /v1/models', () => {
  it('is empty before a catalogue is published', async () => {
    const { models } = setup();
    const res = await models();
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toEqual({ models: {} });
  });

  it('lists the model names per folder, never custom node code', async () => {
    const { models, deps } = setup();
    deps.catalogStore.catalog = catalog(['sd15.safetensors', 'xl/base.safetensors']);
    expect(bodyOf(await models())).toEqual({
      models: { checkpoints: ['sd15.safetensors', 'xl/base.safetensors'], loras: [] },
    });
  });
});
