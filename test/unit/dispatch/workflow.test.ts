import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prefixOutputs, taskFilenamePrefix } from '../../../shared/dispatch/workflow.js';
import type { ComfyWorkflow } from '../../../shared/domain/task.js';

const TASK = '0f0e0d0c-0b0a-4909-8807-060504030201';

describe('taskFilenamePrefix', () => {
  it.each([
    ['out', `${TASK}/out`],
    ['runs/portrait', `${TASK}/runs/portrait`],
    ['', `${TASK}/ComfyUI`],
    [undefined, `${TASK}/ComfyUI`],
    [['5', 0], `${TASK}/ComfyUI`],
    ['../../other-task/x', `${TASK}/other-task/x`],
    ['/etc/passwd', `${TASK}/etc/passwd`],
    ['a\\..\\..\\b', `${TASK}/a/b`],
    // ComfyUI expands %...% after this check (%node.input% could hold `../`): no expansions.
    ['%date:yyyy%/img_%width%', `${TASK}/_date:yyyy_/img__width_`],
  ])('turns %j into %j', (original, expected) => {
    expect(taskFilenamePrefix(TASK, original)).toBe(expected);
  });

  it('never lets any prefix climb out of the task folder', () => {
    fc.assert(
      fc.property(fc.string(), (original) => {
        const prefix = taskFilenamePrefix(TASK, original);
        const parts = prefix.split('/');
        expect(parts[0]).toBe(TASK);
        expect(parts.slice(1).every((p) => p !== '' && p !== '.' && p !== '..')).toBe(true);
        expect(prefix.includes('\\')).toBe(false);
        expect(prefix.includes('%')).toBe(false);
      }),
    );
  });
});

describe('prefixOutputs', () => {
  it('gives every node with a filename_prefix input the task prefix, leaving others and the input alone', () => {
    const wf: ComfyWorkflow = {
      '1': { class_type: 'EmptyImage', inputs: { width: 8 } },
      '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'a' } },
      '3': { class_type: 'VHS_VideoCombine', inputs: { images: ['1', 0], filename_prefix: 'v' } },
    };
    const copy = structuredClone(wf);
    const out = prefixOutputs(wf, TASK);
    expect(out['2']?.inputs.filename_prefix).toBe(`${TASK}/a`);
    expect(out['3']?.inputs.filename_prefix).toBe(`${TASK}/v`);
    expect(out['1']).toEqual(wf['1']);
    expect(wf).toEqual(copy);
  });
});

describe('prefixOutputs, other write inputs', () => {
  it("confines SaveLoRANode's prefix too, so an allowed LoRA saver never writes into loras/", () => {
    // Prepare
    const wf: ComfyWorkflow = {
      '1': { class_type: 'SaveLoRANode', inputs: { lora: ['2', 0], prefix: 'loras/planted' } },
      '3': { class_type: 'StringConcat', inputs: { prefix: 'keep me' } },
    };
    // Act
    const out = prefixOutputs(wf, TASK);
    // Assess
    expect(out['1']?.inputs.prefix).toBe(`${TASK}/loras/planted`);
    expect(out['3']?.inputs.prefix).toBe('keep me');
  });
});
