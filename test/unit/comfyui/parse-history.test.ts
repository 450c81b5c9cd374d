import { describe, expect, it } from 'vitest';
import {
  parseHistoryEntry,
  parseHistoryFor,
  parseHistoryResponse,
} from '../../../shared/adapters/comfyui/parse-history.js';
import { ComfyProtocolError } from '../../../shared/domain/errors.js';
import { fixture } from './fixtures.js';

describe('parseHistoryResponse', () => {
  it('reads a successful run with its output file and timestamps', () => {
    const [run] = parseHistoryResponse(fixture('history_simple.json'));
    expect(run).toEqual({
      promptId: '48ff938e-74d9-482a-80b2-8e32c43f1ad0',
      outcome: { kind: 'success' },
      outputs: [
        {
          nodeId: '2',
          kind: 'images',
          filename: 'verify_00002_.png',
          subfolder: '',
          type: 'output',
        },
      ],
      cachedNodes: [],
      startedAt: 1795650333648,
      finishedAt: 1795650333661,
    });
  });

  it('reads an interrupted run as interrupted, with the node it stopped at and no outputs', () => {
    const [run] = parseHistoryResponse(fixture('history_interrupted.json'));
    expect(run?.outcome).toEqual({ kind: 'interrupted', nodeId: '11', nodeType: 'ImageBlur' });
    expect(run?.outputs).toEqual([]);
    expect(run?.finishedAt).toBe(1795650339143);
  });

  it('reads a runtime error with node id, node type, exception message and type', () => {
    const run = parseHistoryEntry(
      '7be65319-2f68-4acd-a563-65bfa7842cec',
      fixture('history_runtime_error.json'),
    );
    expect(run.outcome).toEqual({
      kind: 'error',
      nodeId: '4',
      nodeType: 'ImageBatch',
      exceptionType: 'RuntimeError',
      exceptionMessage:
        'Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor number 1 in the list.',
    });
  });

  it('collects every file of several output nodes: batches, temp previews, animated webp (not the flag)', () => {
    const [run] = parseHistoryResponse(fixture('history_multi_outputs.json'));
    expect(
      run?.outputs.map((o) => `${o.nodeId}:${o.kind}:${o.type}:${o.subfolder}/${o.filename}`),
    ).toEqual([
      '2:images:output:fixture/multi_00001_.png',
      '2:images:output:fixture/multi_00002_.png',
      '3:images:temp:/ComfyUI_temp_uoyge_00001_.png',
      '3:images:temp:/ComfyUI_temp_uoyge_00002_.png',
      '4:images:output:fixture/anim_00001_.webp',
    ]);
  });

  it('reads a cached re-run: every node cached, the earlier outputs repeated', () => {
    const [first] = parseHistoryResponse(fixture('history_multi_outputs.json'));
    const [cached] = parseHistoryResponse(fixture('history_cached.json'));
    expect(cached?.outcome).toEqual({ kind: 'success' });
    expect(cached?.cachedNodes).toEqual(['1', '2', '3', '4']);
    expect(cached?.outputs).toEqual(first?.outputs);
  });

  it('collects files under any output key (gifs, videos, audio, 3d) and skips text, flags and non-file lists', () => {
    const [run] = parseHistoryResponse(fixture('history_output_kinds.json'));
    expect(run?.outputs.map((o) => [o.nodeId, o.kind, o.filename, o.subfolder, o.type])).toEqual([
      ['10', 'gifs', 'vhs_00001.mp4', 'clips', 'output'],
      ['11', 'images', 'video_00001_.mp4', 'video', 'output'],
      ['12', 'audio', 'audio_00001_.flac', 'audio', 'output'],
      ['13', '3d', 'mesh_00001_.glb', 'mesh', 'output'],
      ['15', 'videos', 'clip.webm', '', 'temp'],
    ]);
  });

  it('gives no run for {} (pending, running, unknown, evicted and deleted look the same)', () => {
    expect(parseHistoryResponse({})).toEqual([]);
    expect(parseHistoryFor('48ff938e-74d9-482a-80b2-8e32c43f1ad0', {})).toBeUndefined();
  });

  it('prefers execution_error over status_str, and falls back to status_str without terminal messages', () => {
    const errorButSuccessStr = {
      status: {
        status_str: 'success',
        completed: true,
        messages: [['execution_error', { node_id: '3', exception_message: 'boom' }]],
      },
      outputs: {},
    };
    expect(parseHistoryEntry('p', errorButSuccessStr).outcome).toMatchObject({
      kind: 'error',
      nodeId: '3',
      exceptionMessage: 'boom',
    });
    expect(
      parseHistoryEntry('p', { status: { status_str: 'error', messages: [] }, outputs: {} }).outcome
        .kind,
    ).toBe('error');
    expect(
      parseHistoryEntry('p', { status: { status_str: 'success', messages: [] }, outputs: {} })
        .outcome.kind,
    ).toBe('success');
  });

  it('rejects bodies that are not history (arrays, a string status, non-object outputs)', () => {
    expect(() => parseHistoryResponse([])).toThrow(ComfyProtocolError);
    expect(() => parseHistoryResponse({ x: { status: 'success', outputs: {} } })).toThrow(
      ComfyProtocolError,
    );
    expect(() => parseHistoryResponse({ x: { outputs: [] } })).toThrow(ComfyProtocolError);
  });
});
