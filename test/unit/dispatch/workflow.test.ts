import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  prefixOutputs,
  replaceUploadRefs,
  taskFilenamePrefix,
  uploadRefs,
} from '../../../shared/dispatch/workflow.js';
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
    ['%date:yyyy%/img_%width%', `${TASK}/%date:yyyy%/img_%width%`],
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

describe('upload references', () => {
  const wf: ComfyWorkflow = {
    '1': { class_type: 'LoadImage', inputs: { image: 'upload:abc-1' } },
    '2': { class_type: 'LoadImage', inputs: { image: 'upload:def_2' } },
    '3': { class_type: 'LoadImage', inputs: { image: 'upload:abc-1' } },
    '4': { class_type: 'CLIPTextEncode', inputs: { text: 'an upload:abc-1 in a sentence' } },
    '5': { class_type: 'LoadImage', inputs: { image: 'plain.png' } },
  };

  it('finds each referenced upload once, and only whole-string references', () => {
    expect(uploadRefs(wf)).toEqual(['abc-1', 'def_2']);
  });

  it('replaces references by the staged names and leaves everything else untouched', () => {
    const out = replaceUploadRefs(wf, new Map([['abc-1', 'abc-1.png']]));
    expect(out['1']?.inputs.image).toBe('abc-1.png');
    expect(out['3']?.inputs.image).toBe('abc-1.png');
    expect(out['2']?.inputs.image).toBe('upload:def_2');
    expect(out['4']?.inputs.text).toBe('an upload:abc-1 in a sentence');
    expect(out['5']).toBe(wf['5']);
    expect(wf['1']?.inputs.image).toBe('upload:abc-1');
  });
});
