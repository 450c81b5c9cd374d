import { describe, expect, it } from 'vitest';
import { nodeDefs } from '../../../infra/local/comfy-standin/node-defs.js';
import {
  compactCatalog,
  modelsOf,
  type NodeCatalog,
} from '../../../shared/catalog/node-catalog.js';
import { assertRunnable, preflightIssues } from '../../../shared/catalog/preflight.js';
import { InvalidRequestError } from '../../../shared/domain/errors.js';
import type { ComfyWorkflow } from '../../../shared/domain/task.js';
import { loadTemplateCatalog } from '../../../shared/templates/catalog.js';

// The stand-in's node definitions are a real ComfyUI v0.3.64's /object_info (a subset).
const objectInfo = nodeDefs({
  checkpoints: ['sd15.safetensors', 'sdxl/base.safetensors'],
  inputs: ['other-tenant.png', 'cat.png'],
}) as unknown as Record<string, unknown>;
const models = {
  checkpoints: ['sd15.safetensors', 'sdxl/base.safetensors'],
  loras: [],
  custom_nodes: ['secret_node.py'],
};
const server = compactCatalog('http://gpu-1:8188', objectInfo, models, '2026-01-01T00:00:00Z');
const catalog: NodeCatalog = { version: 1, publishedAt: server.readAt, servers: [server] };

const txt2img = (params: Record<string, unknown> = {}) =>
  structuredClone(
    loadTemplateCatalog()
      .get('txt2img')
      .render({
        prompt: 'a lighthouse',
        checkpoint: 'sd15.safetensors',
        ...params,
      }).workflow,
  );

function refusal(workflow: ComfyWorkflow): InvalidRequestError {
  try {
    assertRunnable(catalog, workflow);
  } catch (err) {
    if (err instanceof InvalidRequestError) return err;
    throw err;
  }
  throw new Error('the workflow was accepted');
}
const issues = (err: InvalidRequestError) =>
  (err.details as { issues: { path: unknown[]; message: string }[] }).issues;

describe('compactCatalog', () => {
  it('keeps types, ranges and choices, and never the names of files on the server', () => {
    expect(server.nodes.KSampler?.required.steps).toEqual({ type: 'INT', min: 1, max: 10000 });
    expect(server.nodes.KSampler?.required.sampler_name?.options).toContain('euler');
    expect(server.nodes.LoadImage?.required.image).toEqual({ type: 'COMBO', file: true });
    expect(JSON.stringify(server)).not.toContain('other-tenant.png');
    expect(server.nodes.SaveImage?.outputNode).toBe(true);
    expect(server.nodes.CheckpointLoaderSimple?.output).toEqual(['MODEL', 'CLIP', 'VAE']);
  });

  it('lists model folders but not custom node code', () => {
    expect(server.models).toEqual({ checkpoints: models.checkpoints, loras: [] });
  });

  it('lists a model across servers only when every server has it', () => {
    const other = {
      ...server,
      server: 'http://gpu-2:8188',
      models: { checkpoints: ['sd15.safetensors'] },
    };
    expect(modelsOf({ ...catalog, servers: [server, other] })).toEqual({
      checkpoints: ['sd15.safetensors'],
      loras: [],
    });
  });
});

describe('assertRunnable', () => {
  it('accepts what ComfyUI accepts: the txt2img template, and an upload reference', () => {
    expect(() => assertRunnable(catalog, txt2img())).not.toThrow();
    const img: ComfyWorkflow = {
      '1': {
        class_type: 'LoadImage',
        inputs: { image: 'upload:6f1c2a9e-2b7d-4c1e-9a55-0d4c1c2b3a4f' },
      },
      '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } },
    };
    expect(() => assertRunnable(catalog, img)).not.toThrow();
  });

  it('accepts values ComfyUI converts (numeric strings, floats for INT)', () => {
    const wf = txt2img();
    (wf['3'] as { inputs: Record<string, unknown> }).inputs.steps = '12';
    (wf['3'] as { inputs: Record<string, unknown> }).inputs.cfg = '7.5';
    expect(() => assertRunnable(catalog, wf)).not.toThrow();
  });

  it('refuses a node type the server does not have, naming the node', () => {
    const wf = txt2img();
    wf['99'] = { class_type: 'TrainLoraNode', inputs: {} };
    const err = refusal(wf);
    expect(err.code).toBe('UNKNOWN_NODE_TYPE');
    expect(issues(err)[0]?.path).toEqual(['workflow', '99', 'class_type']);
  });

  it('refuses a checkpoint the server does not have and lists the ones it has', () => {
    const err = refusal(txt2img({ checkpoint: 'v1-5-pruned-emaonly.safetensors' }));
    expect(err.code).toBe('MODEL_NOT_AVAILABLE');
    expect(issues(err)[0]?.path).toEqual(['workflow', '4', 'inputs', 'ckpt_name']);
    expect(err.message).toContain('sd15.safetensors');
    expect(err.details).toMatchObject({ available: { checkpoints: models.checkpoints } });
  });

  it('names the folder when a loader asks for a model of an empty folder', () => {
    const wf: ComfyWorkflow = { ...txt2img() };
    const issuesFound = preflightIssues(
      {
        ...server,
        nodes: {
          ...server.nodes,
          LoraLoaderModelOnly: {
            required: { model: { type: 'MODEL' }, lora_name: { type: 'COMBO', options: [] } },
            optional: {},
            output: ['MODEL'],
            outputNode: false,
          },
        },
      },
      {
        ...wf,
        '20': {
          class_type: 'LoraLoaderModelOnly',
          inputs: { model: ['4', 0], lora_name: 'x.safetensors' },
        },
        '3': {
          ...(wf['3'] as ComfyWorkflow[string]),
          inputs: { ...(wf['3'] as ComfyWorkflow[string]).inputs, model: ['20', 0] },
        },
      },
    );
    expect(issuesFound).toEqual([
      expect.objectContaining({
        kind: 'model',
        folder: 'loras',
        path: ['workflow', '20', 'inputs', 'lora_name'],
      }),
    ]);
  });

  const set =
    (node: string, input: string, value: unknown) =>
    (wf: ComfyWorkflow): void => {
      (wf[node] as ComfyWorkflow[string]).inputs[input] = value;
    };
  it.each([
    [
      'a missing required input',
      (wf: ComfyWorkflow): void => {
        delete wf['3']?.inputs.steps;
      },
      'steps',
      /required input is missing/,
    ],
    ['a string for an INT', set('3', 'steps', 'many'), 'steps', /expected an integer/],
    ['a number under the minimum', set('5', 'width', 8), 'width', /smaller than the minimum, 16/],
    [
      'a number over the maximum',
      set('3', 'steps', 100_000),
      'steps',
      /bigger than the maximum, 10000/,
    ],
    [
      'a choice not in the list',
      set('3', 'sampler_name', 'warp'),
      'sampler_name',
      /not one of: euler/,
    ],
    [
      'a link of the wrong type',
      set('3', 'model', ['4', 1]),
      'model',
      /expects MODEL, but the linked output is CLIP/,
    ],
    ['a link to a missing slot', set('3', 'model', ['4', 7]), 'model', /has no output 7/],
  ])('refuses %s with the input path', (_what, spoil, input, message) => {
    const wf = txt2img();
    spoil(wf);
    const err = refusal(wf);
    expect(err.code).toBe('INVALID_NODE_INPUT');
    const first = issues(err)[0];
    expect(first?.path.at(-1)).toBe(input);
    expect(first?.message).toMatch(message);
  });

  it('checks only nodes an output depends on, as ComfyUI does', () => {
    const wf = txt2img();
    wf['50'] = { class_type: 'EmptyImage', inputs: {} };
    expect(() => assertRunnable(catalog, wf)).not.toThrow();
  });

  it('refuses a workflow without an output node', () => {
    const err = refusal({
      '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } },
    });
    expect(err.code).toBe('WORKFLOW_HAS_NO_OUTPUTS');
  });

  it('refuses what any server of the pool would refuse', () => {
    const other = { ...server, server: 'http://gpu-2:8188', nodes: { ...server.nodes } };
    delete other.nodes.KSampler;
    const pool: NodeCatalog = { ...catalog, servers: [server, other] };
    expect(() => assertRunnable(pool, txt2img())).toThrow(/KSampler/);
  });
});
