/**
 * Pre-flight validation: the checks ComfyUI's `validate_prompt` makes at POST /prompt, run at submit
 * against the published node catalogue, so a workflow the server would refuse is refused in
 * milliseconds with the input's path instead of failing at dispatch. Like ComfyUI, only nodes an
 * output node depends on have their inputs checked; every node's class must exist.
 *
 * Checked: unknown node classes, missing required inputs, links to a slot the source node does not
 * have or of the wrong type, values that do not convert to the input's type (INT/FLOAT as Python's
 * int()/float() would), numbers outside min/max, combo values not among the choices (for a model
 * folder: the model is not available, and the error lists the names that are). `upload:<id>`
 * values and inputs naming files are left to the workflow policy and the dispatcher.
 */
import { InvalidRequestError } from '../domain/errors.js';
import type { ComfyWorkflow } from '../domain/task.js';
import { looksLikeUploadRef } from '../workflow/upload-refs.js';
import {
  type CatalogInput,
  type CatalogNode,
  modelFolderOf,
  type NodeCatalog,
  type ServerCatalog,
} from './node-catalog.js';

export type Path = (string | number)[];
type PreflightKind = 'unknown-node' | 'model' | 'input' | 'no-outputs';
export interface PreflightIssue {
  path: Path;
  message: string;
  kind: PreflightKind;
  /** For a model input: the folder and the names it holds. */
  folder?: string;
  available?: string[];
}

/** Most problems listed in one error. */
const MAX_LISTED = 20;
/** Most model names listed per folder in an error. */
const MAX_NAMES = 100;

const CODES: Record<PreflightKind, string> = {
  'unknown-node': 'UNKNOWN_NODE_TYPE',
  model: 'MODEL_NOT_AVAILABLE',
  input: 'INVALID_NODE_INPUT',
  'no-outputs': 'WORKFLOW_HAS_NO_OUTPUTS',
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const show = (v: unknown) => JSON.stringify(v) ?? String(v);

/** Python's int()/float() on a JSON value: the number, or undefined when it raises. */
function toNumber(type: 'INT' | 'FLOAT', v: unknown): number | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return type === 'INT' ? Math.trunc(v) : v;
  if (typeof v !== 'string') return undefined;
  if (type === 'INT') {
    return /^\s*[-+]?\d+(_\d+)*\s*$/.test(v)
      ? Number.parseInt(v.replaceAll('_', ''), 10)
      : undefined;
  }
  const n = Number(v);
  return v.trim() !== '' && !Number.isNaN(n) ? n : undefined;
}

function typesMatch(received: string, wanted: string): boolean {
  if (wanted === 'COMBO' || received === '*' || wanted === '*' || received === wanted) return true;
  const got = new Set(received.split(','));
  return wanted.split(',').some((t) => got.has(t));
}

function checkValue(
  server: ServerCatalog,
  name: string,
  spec: CatalogInput,
  value: unknown,
  at: Path,
): PreflightIssue | undefined {
  const v = isObject(value) && '__value__' in value ? value.__value__ : value;
  if (looksLikeUploadRef(v) || spec.file) return undefined;
  if (spec.type === 'INT' || spec.type === 'FLOAT') {
    const n = toNumber(spec.type, v);
    const what = spec.type === 'INT' ? 'an integer' : 'a number';
    if (n === undefined)
      return { path: at, kind: 'input', message: `expected ${what}, got ${show(v)}` };
    if (spec.min !== undefined && n < spec.min)
      return { path: at, kind: 'input', message: `${n} is smaller than the minimum, ${spec.min}` };
    if (spec.max !== undefined && n > spec.max)
      return { path: at, kind: 'input', message: `${n} is bigger than the maximum, ${spec.max}` };
    return undefined;
  }
  if (spec.options !== undefined && !spec.options.some((o) => o === v)) {
    const folder = modelFolderOf(server, name, spec);
    if (folder !== undefined) {
      const available = (server.models[folder] ?? []).slice(0, MAX_NAMES);
      return {
        path: at,
        kind: 'model',
        folder,
        available,
        message: `model ${show(v)} is not available in ${folder}${available.length ? `; available: ${available.join(', ')}` : ' (the folder is empty)'}`,
      };
    }
    const choices = spec.options.slice(0, MAX_NAMES).map(String);
    return { path: at, kind: 'input', message: `${show(v)} is not one of: ${choices.join(', ')}` };
  }
  return undefined;
}

function checkNode(
  server: ServerCatalog,
  workflow: ComfyWorkflow,
  id: string,
  def: CatalogNode,
  base: Path,
): PreflightIssue[] {
  const issues: PreflightIssue[] = [];
  const inputs = workflow[id]?.inputs ?? {};
  const specs = [
    ...Object.entries(def.required).map(([n, s]) => [n, s, true] as const),
    ...Object.entries(def.optional).map(([n, s]) => [n, s, false] as const),
  ];
  for (const [name, spec, required] of specs) {
    const at = [...base, id, 'inputs', name];
    if (!Object.hasOwn(inputs, name)) {
      if (required) issues.push({ path: at, kind: 'input', message: 'required input is missing' });
      continue;
    }
    const value = inputs[name];
    if (Array.isArray(value)) {
      const [source, slot] = value as unknown[];
      const upstream = workflow[String(source)];
      const types = upstream ? server.nodes[upstream.class_type]?.output : undefined;
      if (!types) continue; // a dangling link or an unknown class: reported elsewhere
      const received = typeof slot === 'number' ? types[slot] : undefined;
      if (received === undefined) {
        issues.push({
          path: at,
          kind: 'input',
          message: `node ${String(source)} (${upstream?.class_type}) has no output ${show(slot)}`,
        });
      } else if (!typesMatch(received, spec.type)) {
        issues.push({
          path: at,
          kind: 'input',
          message: `expects ${spec.type}, but the linked output is ${received}`,
        });
      }
      continue;
    }
    const issue = checkValue(server, name, spec, value, at);
    if (issue) issues.push(issue);
  }
  return issues;
}

/** Nodes the output nodes depend on (themselves included), as ComfyUI validates them. */
function reachable(workflow: ComfyWorkflow, outputs: string[]): string[] {
  const seen = new Set<string>();
  const stack = [...outputs];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (seen.has(id) || !workflow[id]) continue;
    seen.add(id);
    for (const v of Object.values(workflow[id].inputs)) {
      if (Array.isArray(v) && v.length === 2) stack.push(String(v[0]));
    }
  }
  return [...seen];
}

/** Every problem of `workflow` on one server (empty: ComfyUI's own validation would pass it). */
export function preflightIssues(
  server: ServerCatalog,
  workflow: ComfyWorkflow,
  base: Path = ['workflow'],
): PreflightIssue[] {
  const unknown = Object.entries(workflow)
    .filter(([, node]) => !server.nodes[node.class_type])
    .map(
      ([id, node]): PreflightIssue => ({
        path: [...base, id, 'class_type'],
        kind: 'unknown-node',
        message: `node type ${show(node.class_type)} is not installed on the server`,
      }),
    );
  if (unknown.length > 0) return unknown;
  const outputs = Object.keys(workflow).filter(
    (id) => server.nodes[workflow[id]?.class_type ?? '']?.outputNode,
  );
  if (outputs.length === 0) {
    return [{ path: base, kind: 'no-outputs', message: 'no node saves or previews a result' }];
  }
  return reachable(workflow, outputs).flatMap((id) =>
    checkNode(
      server,
      workflow,
      id,
      server.nodes[workflow[id]?.class_type ?? ''] as CatalogNode,
      base,
    ),
  );
}

/**
 * Throws a 400 InvalidRequestError when any server of the catalogue would refuse the workflow (the
 * dispatcher may send it to any of them). Its code names the first problem's kind; `details.issues`
 * lists the paths, and for models `details.available` the names each folder holds.
 */
export function assertRunnable(
  catalog: NodeCatalog,
  workflow: ComfyWorkflow,
  base: Path = ['workflow'],
): void {
  for (const server of catalog.servers) {
    const issues = preflightIssues(server, workflow, base);
    const first = issues[0];
    if (!first) continue;
    const available: Record<string, string[]> = {};
    for (const i of issues) if (i.folder && i.available) available[i.folder] = i.available;
    const listed = issues.slice(0, MAX_LISTED).map((i) => ({ path: i.path, message: i.message }));
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem(s))` : '';
    throw new InvalidRequestError(
      `The workflow would not run on the server: ${first.path.join('.')}: ${first.message}${more}.`,
      { issues: listed, ...(Object.keys(available).length ? { available } : {}) },
      CODES[first.kind],
    );
  }
}
