import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../shared/domain/errors.js';
import type { ComfyWorkflow } from '../../../shared/domain/task.js';
import { collectUploadRefs, replaceUploadRefs } from '../../../shared/workflow/upload-refs.js';
import {
  MAX_WORKFLOW_NODES,
  validateWorkflow,
} from '../../../shared/workflow/validate-workflow.js';
import { tinyWorkflow } from '../../fakes/tasks.js';

const UPLOAD = '0b7c4a52-4f0e-4b7a-9d0a-1c2b3d4e5f60';

function failure(raw: unknown): InvalidRequestError {
  try {
    validateWorkflow(raw);
  } catch (err) {
    if (err instanceof InvalidRequestError) return err;
    throw err;
  }
  throw new Error('expected validateWorkflow to throw');
}

describe('validateWorkflow', () => {
  it('accepts an API-format graph and lists its upload references once each', () => {
    // Prepare
    const wf = {
      ...tinyWorkflow(),
      '3': { class_type: 'LoadImage', inputs: { image: `upload:${UPLOAD}` } },
      '4': {
        class_type: 'LoadImage',
        inputs: { image: `upload:${UPLOAD}` },
        _meta: { title: 'x' },
      },
    };
    // Act
    const out = validateWorkflow(wf);
    // Assess
    expect(out.workflow).toBe(wf);
    expect(out.uploadIds).toEqual([UPLOAD]);
  });

  it.each([
    ['null', null],
    ['an array', [{ class_type: 'X', inputs: {} }]],
    ['a string', 'workflow'],
    ['an empty object', {}],
  ])('rejects %s as INVALID_WORKFLOW', (_name, raw) => {
    expect(failure(raw).code).toBe('INVALID_WORKFLOW');
  });

  it('recognises the UI format and says how to export the API format', () => {
    const err = failure({ last_node_id: 9, nodes: [{ id: 1, type: 'KSampler' }], links: [] });
    expect(err.code).toBe('UI_FORMAT_WORKFLOW');
    expect(err.message).toMatch(/Export \(API\)/);
    expect(err.message).toMatch(/Dev mode/);
  });

  it('names each node missing class_type or inputs, with its path', () => {
    const err = failure({ '1': { inputs: {} }, '2': { class_type: 'X', inputs: [] }, '3': 7 });
    expect(err.code).toBe('INVALID_WORKFLOW');
    const paths = (err.details as { issues: { path: unknown[] }[] }).issues.map((i) => i.path);
    expect(paths).toEqual([
      ['workflow', '1', 'class_type'],
      ['workflow', '2', 'inputs'],
      ['workflow', '3'],
    ]);
  });

  it('tells a wrapped {"prompt": ...} body to send the graph itself', () => {
    const err = failure({ prompt: tinyWorkflow() });
    expect(err.message).toMatch(/not an object with a "prompt" key/);
  });

  it('rejects node ids that could escape an S3 prefix', () => {
    expect(failure({ '../x': { class_type: 'X', inputs: {} } }).code).toBe('INVALID_WORKFLOW');
  });

  it('rejects links to nodes that are not in the graph as DANGLING_LINK', () => {
    const wf = tinyWorkflow();
    (wf['2'] as { inputs: Record<string, unknown> }).inputs.images = ['9', 0];
    const err = failure(wf);
    expect(err.code).toBe('DANGLING_LINK');
    expect(err.details).toMatchObject({
      issues: [{ path: ['workflow', '2', 'inputs', 'images'] }],
    });
  });

  it('explains a numeric link source instead of calling it missing', () => {
    const wf = tinyWorkflow();
    (wf['2'] as { inputs: Record<string, unknown> }).inputs.images = [1, 0];
    expect(failure(wf).details).toMatchObject({
      issues: [{ message: expect.stringContaining('["1", 0]') }],
    });
  });

  it(`accepts ${MAX_WORKFLOW_NODES} nodes and rejects one more as TOO_MANY_NODES`, () => {
    const graph = (n: number) =>
      Object.fromEntries(
        Array.from({ length: n }, (_, i) => [String(i), { class_type: 'X', inputs: {} }]),
      );
    expect(() => validateWorkflow(graph(MAX_WORKFLOW_NODES))).not.toThrow();
    const err = failure(graph(MAX_WORKFLOW_NODES + 1));
    expect(err.code).toBe('TOO_MANY_NODES');
    expect(err.details).toMatchObject({ limit: MAX_WORKFLOW_NODES, count: MAX_WORKFLOW_NODES + 1 });
  });

  it('rejects a malformed upload reference', () => {
    const err = failure({ '1': { class_type: 'LoadImage', inputs: { image: 'upload:../../x' } } });
    expect(err.code).toBe('INVALID_UPLOAD_REFERENCE');
  });
});

describe('upload references', () => {
  const OTHER = '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a';
  const wf: ComfyWorkflow = {
    '1': { class_type: 'LoadImage', inputs: { image: `upload:${UPLOAD}`, n: 1 } },
    '2': { class_type: 'LoadImage', inputs: { image: `upload:${OTHER}` } },
    '3': { class_type: 'LoadImage', inputs: { image: `upload:${UPLOAD}` } },
    '4': { class_type: 'CLIPTextEncode', inputs: { text: `an upload:${UPLOAD} in a sentence` } },
    '5': { class_type: 'LoadImage', inputs: { image: 'upload:not-a-uuid' } },
    '6': { class_type: 'LoadImage', inputs: { image: 'plain.png' } },
  };

  it('are found once each, only as whole well-formed values', () => {
    expect(collectUploadRefs(wf)).toEqual([UPLOAD, OTHER]);
  });

  it('are replaced by the names ComfyUI gave, leaving other inputs and nodes alone', () => {
    const out = replaceUploadRefs(wf, new Map([[UPLOAD, 'in/abc.png']]));
    expect(out['1']?.inputs).toEqual({ image: 'in/abc.png', n: 1 });
    expect(out['3']?.inputs.image).toBe('in/abc.png');
    expect(out['2']?.inputs.image).toBe(`upload:${OTHER}`);
    expect(out['4']?.inputs.text).toBe(`an upload:${UPLOAD} in a sentence`);
    expect(out['5']).toBe(wf['5']);
    expect(out['6']).toBe(wf['6']);
    expect(wf['1']?.inputs.image).toBe(`upload:${UPLOAD}`);
  });
});
