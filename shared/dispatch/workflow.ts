/**
 * How a task's workflow is prepared for ComfyUI: output nodes write into a per-task subfolder.
 * (Its `upload:<uploadId>` references are replaced through `workflow/upload-refs.ts`, the one
 * grammar submit validates them with.) Pure functions: the input workflow is never mutated.
 */
import type { ComfyWorkflow } from '../domain/task.js';

const DEFAULT_PREFIX = 'ComfyUI';

/**
 * The task-specific `filename_prefix`: `<taskId>/<original>`. The original is reduced to plain
 * path segments (no `..`, `.`, empty or absolute parts), so it can never leave the task's folder;
 * a missing, empty or linked (non-string) prefix becomes `ComfyUI`.
 */
export function taskFilenamePrefix(taskId: string, original: unknown): string {
  const segments =
    typeof original === 'string'
      ? original.split(/[\\/]+/).filter((s) => s !== '' && s !== '.' && s !== '..')
      : [];
  return `${taskId}/${segments.length ? segments.join('/') : DEFAULT_PREFIX}`;
}

/**
 * Every node with a `filename_prefix` input gets the task's prefix, so runs never collide on disk,
 * are never served empty from ComfyUI's cache (the input changed), and are easy to find and clean.
 */
export function prefixOutputs(workflow: ComfyWorkflow, taskId: string): ComfyWorkflow {
  const out: ComfyWorkflow = {};
  for (const [id, node] of Object.entries(workflow)) {
    out[id] =
      'filename_prefix' in node.inputs
        ? {
            ...node,
            inputs: {
              ...node.inputs,
              filename_prefix: taskFilenamePrefix(taskId, node.inputs.filename_prefix),
            },
          }
        : node;
  }
  return out;
}
