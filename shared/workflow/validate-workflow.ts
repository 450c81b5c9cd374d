/**
 * Checks a raw workflow before anything is stored: ComfyUI's API format (an object of nodes keyed by
 * id, each with a `class_type` string and an `inputs` object), no links to missing nodes, at most
 * {@link MAX_WORKFLOW_NODES} nodes, well-formed `upload:<id>` references. ComfyUI still validates
 * node types and values itself (it knows the installed nodes and models); this catches what we can
 * say clearly without it. Each failure is an InvalidRequestError with a specific code and the paths.
 */
import { InvalidRequestError } from '../domain/errors.js';
import type { ComfyWorkflow } from '../domain/task.js';
import { collectUploadRefs, looksLikeUploadRef, parseUploadRef } from './upload-refs.js';

export const MAX_WORKFLOW_NODES = 500;
/** Most problems listed in one error's details. */
const MAX_LISTED = 20;
/** Node ids become S3 key segments: no slashes, no leading dot. */
const NODE_ID_RE = /^[A-Za-z0-9_:-][A-Za-z0-9_.:-]{0,63}$/;

export type Path = (string | number)[];
export interface Issue {
  path: Path;
  message: string;
}
export interface ValidatedWorkflow {
  workflow: ComfyWorkflow;
  /** Upload ids referenced as `upload:<id>`, each once. */
  uploadIds: string[];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const UI_FORMAT_HINT =
  'This is a ComfyUI UI workflow (it has "nodes" and "links" arrays); the API needs the API format. ' +
  'In ComfyUI use Workflow > Export (API), or in older versions enable "Dev mode" in the settings ' +
  'and use "Save (API Format)", then send that file as "workflow".';

function fail(code: string, message: string, issues: Issue[], extra: object = {}): never {
  throw new InvalidRequestError(message, { ...extra, issues: issues.slice(0, MAX_LISTED) }, code);
}

/** Validate `raw` as an API-format workflow; `base` prefixes the paths in error details. */
export function validateWorkflow(raw: unknown, base: Path = ['workflow']): ValidatedWorkflow {
  if (!isPlainObject(raw)) {
    fail('INVALID_WORKFLOW', 'The workflow must be a JSON object of nodes keyed by node id.', [
      { path: base, message: 'expected an object' },
    ]);
  }
  if (Array.isArray(raw.nodes) && Array.isArray(raw.links)) {
    fail('UI_FORMAT_WORKFLOW', UI_FORMAT_HINT, [
      { path: [...base, 'nodes'], message: 'UI format' },
    ]);
  }
  const ids = Object.keys(raw);
  if (ids.length === 0) {
    fail('INVALID_WORKFLOW', 'The workflow has no nodes.', [{ path: base, message: 'empty' }]);
  }
  if (ids.length > MAX_WORKFLOW_NODES) {
    fail(
      'TOO_MANY_NODES',
      `The workflow has ${ids.length} nodes; at most ${MAX_WORKFLOW_NODES} are allowed.`,
      [{ path: base, message: `${ids.length} nodes` }],
      { limit: MAX_WORKFLOW_NODES, count: ids.length },
    );
  }
  const shape = ids.flatMap((id) => nodeShapeIssues(id, raw[id], base));
  if (shape.length > 0) {
    const wrapped = isPlainObject(raw.prompt) && !('class_type' in raw.prompt);
    fail(
      'INVALID_WORKFLOW',
      wrapped
        ? 'Send the API-format graph itself as "workflow", not an object with a "prompt" key.'
        : 'The workflow is not in ComfyUI API format: each node needs a "class_type" string and an "inputs" object.',
      shape,
    );
  }
  const workflow = raw as unknown as ComfyWorkflow;
  const dangling = danglingLinks(workflow, base);
  if (dangling.length > 0) {
    fail('DANGLING_LINK', 'Some inputs link to nodes that are not in the workflow.', dangling);
  }
  const badRefs = badUploadRefs(workflow, base);
  if (badRefs.length > 0) {
    fail(
      'INVALID_UPLOAD_REFERENCE',
      'An input starts with "upload:" but is not "upload:<uploadId>" with an id from POST /v1/uploads.',
      badRefs,
    );
  }
  return { workflow, uploadIds: collectUploadRefs(workflow) };
}

function nodeShapeIssues(id: string, node: unknown, base: Path): Issue[] {
  const at = [...base, id];
  if (!NODE_ID_RE.test(id)) {
    return [{ path: at, message: 'node ids are 1-64 letters, digits, "_", ":", "-" or "."' }];
  }
  if (!isPlainObject(node)) return [{ path: at, message: 'expected a node object' }];
  const issues: Issue[] = [];
  if (typeof node.class_type !== 'string' || node.class_type.trim() === '') {
    issues.push({ path: [...at, 'class_type'], message: 'expected a non-empty string' });
  }
  if (!isPlainObject(node.inputs)) {
    issues.push({ path: [...at, 'inputs'], message: 'expected an object' });
  }
  if (node._meta !== undefined && !isPlainObject(node._meta)) {
    issues.push({ path: [...at, '_meta'], message: 'expected an object' });
  }
  return issues;
}

/** A link is `[sourceNodeId, outputIndex]`; ComfyUI treats every array input as one. */
function danglingLinks(workflow: ComfyWorkflow, base: Path): Issue[] {
  const issues: Issue[] = [];
  for (const [id, node] of Object.entries(workflow)) {
    for (const [name, value] of Object.entries(node.inputs)) {
      if (!Array.isArray(value) || value.length !== 2) continue;
      const [source, index] = value as unknown[];
      if (!Number.isInteger(index)) continue;
      if (typeof source === 'string' && Object.hasOwn(workflow, source)) continue;
      const numeric = typeof source === 'number' && Object.hasOwn(workflow, String(source));
      issues.push({
        path: [...base, id, 'inputs', name],
        message: numeric
          ? `link sources are node ids as strings: write ["${source}", ${index}]`
          : `links to node ${JSON.stringify(source)}, which is not in the workflow`,
      });
    }
  }
  return issues;
}

function badUploadRefs(workflow: ComfyWorkflow, base: Path): Issue[] {
  const issues: Issue[] = [];
  for (const [id, node] of Object.entries(workflow)) {
    for (const [name, value] of Object.entries(node.inputs)) {
      if (looksLikeUploadRef(value) && !parseUploadRef(value)) {
        issues.push({ path: [...base, id, 'inputs', name], message: 'malformed upload reference' });
      }
    }
  }
  return issues;
}
