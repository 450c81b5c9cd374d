/**
 * How a task's workflow is prepared for ComfyUI: output nodes write into a per-task subfolder.
 * (Its `upload:<uploadId>` references are replaced through `workflow/upload-refs.ts`, the one
 * grammar submit validates them with.) Pure functions: the input workflow is never mutated.
 */
import type { ComfyWorkflow } from '../domain/task.js';

const DEFAULT_PREFIX = 'ComfyUI';

/**
 * Inputs that choose where a node writes, by node class (`*` for every class). Each is confined to
 * the task's folder. `SaveLoRANode.prefix` is denied by the default node policy; an operator who
 * allows it still gets its file inside the task's folder, never in a model folder.
 */
const WRITE_INPUTS: Readonly<Record<string, readonly string[]>> = {
  '*': ['filename_prefix'],
  SaveLoRANode: ['prefix'],
};

/**
 * The task-specific `filename_prefix`: `<taskId>/<original>`. The original is reduced to plain
 * path segments (no `..`, `.`, empty or absolute parts, no `%` that ComfyUI would expand into
 * other text after this check), so it can never leave the task's folder; a missing, empty or
 * linked (non-string) prefix becomes `ComfyUI`.
 */
export function taskFilenamePrefix(taskId: string, original: unknown): string {
  const segments =
    typeof original === 'string'
      ? original
          .replaceAll('%', '_')
          .split(/[\\/]+/)
          .filter((s) => s !== '' && s !== '.' && s !== '..')
      : [];
  return `${taskId}/${segments.length ? segments.join('/') : DEFAULT_PREFIX}`;
}

/**
 * Every write input ({@link WRITE_INPUTS}) gets the task's prefix, so runs never collide on disk,
 * are never served empty from ComfyUI's cache (the input changed), never write outside the task's
 * folder, and are easy to find and clean.
 */
export function prefixOutputs(workflow: ComfyWorkflow, taskId: string): ComfyWorkflow {
  const out: ComfyWorkflow = {};
  for (const [id, node] of Object.entries(workflow)) {
    const names = [...(WRITE_INPUTS['*'] ?? []), ...(WRITE_INPUTS[node.class_type] ?? [])];
    const present = names.filter((n) => n in node.inputs);
    if (present.length === 0) {
      out[id] = node;
      continue;
    }
    const inputs = { ...node.inputs };
    for (const n of present) inputs[n] = taskFilenamePrefix(taskId, inputs[n]);
    out[id] = { ...node, inputs };
  }
  return out;
}
