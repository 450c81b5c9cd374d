/**
 * The chaos run's workflows: every task different (its own colour and file prefix, so no two tasks
 * write the same bytes and ComfyUI's cache never serves one task another's outputs), four output files
 * each (four SaveImage nodes over four different images). A "failing" task also carries an ImageBlur node, which the
 * stand-in is told to fail at run time.
 */
import type { ComfyWorkflow } from '../../shared/domain/task.js';

export const FAILING_NODE_CLASS = 'ImageBlur';
export const OUTPUTS_PER_TASK = 4;

export function chaosWorkflow(index: number, failing: boolean): ComfyWorkflow {
  const color = (index * 2_654_435_761) % 0xffffff;
  const workflow: ComfyWorkflow = {
    '1': { class_type: 'EmptyImage', inputs: { width: 16, height: 16, batch_size: 1, color } },
    '2': {
      class_type: 'SaveImage',
      inputs: { images: ['1', 0], filename_prefix: `chaos/t${index}` },
    },
    '3': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
    '4': {
      class_type: 'SaveImage',
      inputs: { images: ['3', 0], filename_prefix: `chaos_inv_t${index}` },
    },
    '5': {
      class_type: 'EmptyImage',
      inputs: { width: 24, height: 8, batch_size: 1, color: color ^ 0x5a5a5a },
    },
    '6': {
      class_type: 'SaveImage',
      inputs: { images: ['5', 0], filename_prefix: `chaos/w${index}` },
    },
    '7': { class_type: 'ImageInvert', inputs: { image: ['5', 0] } },
    '8': {
      class_type: 'SaveImage',
      inputs: { images: ['7', 0], filename_prefix: `chaos_winv_t${index}` },
    },
  };
  if (failing) {
    workflow['9'] = {
      class_type: FAILING_NODE_CLASS,
      inputs: { image: ['1', 0], blur_radius: 1, sigma: 1 },
    };
    workflow['10'] = {
      class_type: 'SaveImage',
      inputs: { images: ['9', 0], filename_prefix: `chaos_blur_t${index}` },
    };
  }
  return workflow;
}
