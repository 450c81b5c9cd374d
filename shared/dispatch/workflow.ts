/**
 * How a task's workflow is prepared for ComfyUI: output nodes write into a per-task subfolder, and
 * `upload:<uploadId>` references are replaced by the names ComfyUI gave the staged input images.
 * Pure functions: the input workflow is never mutated.
 */
import type { ComfyWorkflow } from '../domain/task.js';

/** A string input that refers to an upload: `upload:<uploadId>`. */
export const UPLOAD_REF_RE = /^upload:([A-Za-z0-9_-]{1,128})$/;
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

/** The distinct upload ids the workflow refers to, in first-seen order. */
export function uploadRefs(workflow: ComfyWorkflow): string[] {
  const ids = new Set<string>();
  for (const node of Object.values(workflow)) {
    for (const value of Object.values(node.inputs)) {
      const m = typeof value === 'string' ? UPLOAD_REF_RE.exec(value) : null;
      if (m?.[1]) ids.add(m[1]);
    }
  }
  return [...ids];
}

/** Replace each `upload:<id>` input by `names.get(id)`; unknown ids are left as they are. */
export function replaceUploadRefs(
  workflow: ComfyWorkflow,
  names: ReadonlyMap<string, string>,
): ComfyWorkflow {
  const out: ComfyWorkflow = {};
  for (const [id, node] of Object.entries(workflow)) {
    let inputs = node.inputs;
    for (const [name, value] of Object.entries(node.inputs)) {
      const m = typeof value === 'string' ? UPLOAD_REF_RE.exec(value) : null;
      const replacement = m?.[1] ? names.get(m[1]) : undefined;
      if (replacement !== undefined) {
        if (inputs === node.inputs) inputs = { ...node.inputs };
        inputs[name] = replacement;
      }
    }
    out[id] = inputs === node.inputs ? node : { ...node, inputs };
  }
  return out;
}
