import { describe, expect, it } from 'vitest';
import { tenantSafeError, tenantSafeText } from '../../../shared/domain/tenant-safe-error.js';

describe('tenantSafeText', () => {
  it.each([
    [
      "[Errno 21] Is a directory: '/srv/comfyui/input/../output'",
      "[Errno 21] Is a directory: '<path>'",
    ],
    [
      "ckpt_name: 'nope.safetensors' not in ['a.safetensors', 'b.safetensors']",
      "ckpt_name: 'nope.safetensors' not among the names the server offers",
    ],
    [
      "image: 'x.png' not in (list of length 312)",
      "image: 'x.png' not in (the server\u2019s list)",
    ],
    ['Invalid image file: input/../output/2f1d/x.png', 'Invalid image file: <path>'],
    ["No such file: 'C:\\ComfyUI\\input\\x.png'", "No such file: '<path>'"],
    [
      'Prompt outputs failed validation: see https://docs.comfy.org/x/y',
      'Prompt outputs failed validation: see https://docs.comfy.org/x/y',
    ],
    [
      'CUDA out of memory. Tried to allocate 2.00 GiB',
      'CUDA out of memory. Tried to allocate 2.00 GiB',
    ],
  ])('%s', (raw, safe) => {
    expect(tenantSafeText(raw)).toBe(safe);
  });
});

describe('tenantSafeError', () => {
  it('cleans the message and every string in details, and drops option lists', () => {
    // Prepare
    const error = {
      code: 'COMFYUI_REJECTED',
      message: 'ComfyUI rejected the workflow (node 4: Value not in list)',
      nodeId: '4',
      details: {
        nodeErrors: [
          {
            nodeId: '4',
            errors: [
              {
                type: 'value_not_in_list',
                details: "image: 'a' not in ['victim_input.png', 'other.png']",
                extra_info: { input_config: [['victim_input.png', 'other.png']] },
              },
            ],
          },
        ],
      },
    };
    // Act
    const safe = tenantSafeError(error);
    // Assess
    expect(JSON.stringify(safe)).not.toContain('victim_input');
    expect(safe.nodeId).toBe('4');
    expect(safe.message).toBe(error.message);
  });
});
