/** Progress from ComfyUI WebSocket traffic captured from a real ComfyUI v0.3.64. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseComfyFrame, toComfyEvent } from '../../../shared/adapters/comfyui/ws-messages.js';
import type { ComfyWorkflow } from '../../../shared/domain/task.js';
import { nodeWeights, ProgressTracker } from '../../../shared/poller/progress-tracker.js';
import type { ComfyEvent } from '../../../shared/ports/comfy-events.js';

type Raw = [number, string, unknown] | [string, unknown];
const load = (name: string): Raw[] =>
  JSON.parse(readFileSync(new URL(`../../fixtures/comfy/${name}`, import.meta.url), 'utf8'));
const events = (raw: Raw[]): ComfyEvent[] =>
  raw
    .map((m) => (m.length === 3 ? toComfyEvent(m[1], m[2]) : toComfyEvent(m[0], m[1])))
    .filter((e): e is ComfyEvent => e !== undefined);

const SD_PROMPT = '3f876b85-a4e4-4cf0-918e-87cdd7e6e71a';
/** The captured SD1.5 txt2img (standard node ids), 2 sampler steps. */
const sdWorkflow = (): ComfyWorkflow => ({
  '3': { class_type: 'KSampler', inputs: { steps: 2, seed: 1 } },
  '4': { class_type: 'CheckpointLoaderSimple', inputs: {} },
  '5': { class_type: 'EmptyLatentImage', inputs: {} },
  '6': { class_type: 'CLIPTextEncode', inputs: {} },
  '7': { class_type: 'CLIPTextEncode', inputs: {} },
  '8': { class_type: 'VAEDecode', inputs: {} },
  '9': { class_type: 'SaveImage', inputs: {} },
});

describe('ComfyUI WebSocket messages', () => {
  it('parses every execution message type in the captures', () => {
    const all = events(load('ws_all.json'));
    const types = new Set(all.map((e) => e.type));
    for (const t of [
      'status',
      'execution_start',
      'execution_cached',
      'executing',
      'progress',
      'executed',
      'execution_success',
      'execution_error',
      'execution_interrupted',
    ])
      expect(types, t).toContain(t);
    expect(all).toContainEqual({
      type: 'progress',
      promptId: SD_PROMPT,
      node: '3',
      value: 1,
      max: 2,
    });
    expect(all).toContainEqual({ type: 'executing', promptId: SD_PROMPT, node: null });
    expect(all).toContainEqual({
      type: 'execution_error',
      promptId: '7be65319-2f68-4acd-a563-65bfa7842cec',
      nodeId: '4',
      nodeType: 'ImageBatch',
    });
  });

  it('parses text frames and ignores unknown or malformed ones', () => {
    expect(parseComfyFrame('{"type":"execution_success","data":{"prompt_id":"p"}}')).toEqual({
      type: 'execution_success',
      promptId: 'p',
    });
    expect(parseComfyFrame('{"type":"progress_state","data":{"prompt_id":"p"}}')).toBeUndefined();
    expect(parseComfyFrame('{"type":"progress","data":{"node":"3"}}')).toBeUndefined();
    expect(parseComfyFrame('not json')).toBeUndefined();
    // On connect ComfyUI may send `executing` without a prompt id.
    expect(parseComfyFrame('{"type":"executing","data":{"node":"3"}}')).toEqual({
      type: 'executing',
      node: '3',
    });
  });
});

describe('progress of a whole workflow', () => {
  it('weighs a sampler by its steps', () => {
    const w = nodeWeights(sdWorkflow());
    expect(w['3']).toEqual({ weight: 2, type: 'KSampler' });
    expect(w['9']).toEqual({ weight: 1, type: 'SaveImage' });
  });

  it('rises monotonically through the captured SD1.5 run and ends at 1', () => {
    const tracker = new ProgressTracker();
    tracker.setWorkflow(SD_PROMPT, sdWorkflow());
    const run = events(load('ws_all.json')).filter(
      (e) => e.type !== 'status' && e.promptId === SD_PROMPT,
    );
    const fractions: number[] = [];
    const lifecycle: string[] = [];
    let sawSamplerStep = false;
    for (const e of run) {
      const applied = tracker.apply('http://gpu', e);
      if (applied?.lifecycle) lifecycle.push(applied.lifecycle);
      const snap = tracker.snapshot(SD_PROMPT);
      if (!snap) throw new Error('no snapshot');
      fractions.push(snap.fraction);
      if (snap.step === 1 && snap.steps === 2) {
        expect(snap).toMatchObject({ nodeId: '3', nodeType: 'KSampler' });
        sawSamplerStep = true;
      }
    }
    expect(sawSamplerStep).toBe(true);
    for (let i = 1; i < fractions.length; i++)
      expect(fractions[i]).toBeGreaterThanOrEqual(fractions[i - 1] as number);
    expect(fractions[0]).toBe(0);
    expect(fractions.at(-1)).toBe(1);
    expect(new Set(fractions).size).toBeGreaterThan(5);
    expect(lifecycle).toEqual(['started', 'ended', 'ended']);
  });

  it('counts cached nodes as done and stays below 1 until success', () => {
    const tracker = new ProgressTracker();
    tracker.setWorkflow('p', sdWorkflow());
    tracker.apply('s', { type: 'execution_cached', promptId: 'p', nodes: ['4', '5', '6', '7'] });
    expect(tracker.snapshot('p')?.fraction).toBeCloseTo(4 / 8, 3);
    tracker.apply('s', { type: 'executing', promptId: 'p', node: '3' });
    tracker.apply('s', { type: 'progress', promptId: 'p', node: '3', value: 2, max: 2 });
    tracker.apply('s', { type: 'executed', promptId: 'p', node: '8' });
    tracker.apply('s', { type: 'executed', promptId: 'p', node: '9' });
    expect(tracker.snapshot('p')?.fraction).toBe(0.99);
    tracker.apply('s', { type: 'execution_success', promptId: 'p' });
    expect(tracker.snapshot('p')?.fraction).toBe(1);
  });

  it('gives progress without a prompt id to the prompt executing at that server', () => {
    const tracker = new ProgressTracker();
    tracker.setWorkflow('p', sdWorkflow());
    tracker.apply('s', { type: 'execution_start', promptId: 'p' });
    tracker.apply('s', { type: 'progress', node: '3', value: 1, max: 2 });
    expect(tracker.snapshot('p')).toMatchObject({ nodeId: '3', step: 1, steps: 2 });
  });

  it('keeps events that arrive before the workflow is known', () => {
    const tracker = new ProgressTracker();
    tracker.apply('s', { type: 'execution_cached', promptId: 'p', nodes: ['4'] });
    expect(tracker.snapshot('p')).toBeUndefined();
    tracker.setWorkflow('p', sdWorkflow());
    expect(tracker.snapshot('p')?.fraction).toBeCloseTo(1 / 8, 3);
  });
});
