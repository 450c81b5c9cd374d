/**
 * Running one prompt like ComfyUI's PromptExecutor: execution_start, execution_cached (classic cache:
 * node outputs are kept by input signature, only for the nodes of the latest prompt), nodes in
 * dependency order with an interrupt check before each node (and between sampler steps), then
 * execution_success, execution_error or execution_interrupted. The history entry is built here.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { NodeDef } from './node-defs.js';
import {
  type ExecContext,
  NODE_EXECUTORS,
  NodeRuntimeError,
  type WrittenFile,
} from './nodes/index.js';
import { AllocationRefusedError } from './png.js';
import type { HistoryEntry, QueueItem, Workflow } from './state.js';
import type { StandInStorage } from './storage.js';

export class Interrupted extends Error {}
/** Thrown out of a run when the stand-in restarts under it: nothing is recorded. */
export class Abandoned extends Error {}

export interface CachedNode {
  outputs: unknown[];
  ui?: Record<string, unknown[]>;
}

export interface FailRule {
  nodeId?: string;
  classType?: string;
  promptId?: string;
  message?: string;
  exceptionType?: string;
  /** Fail at most this many times. @default unlimited */
  count?: number;
  fired?: number;
}

export interface RunEnv {
  storage: StandInStorage;
  defs: Record<string, NodeDef>;
  cache: Map<string, CachedNode> | undefined;
  /** Total time of the run's executed nodes in ms, and extra per node class. */
  runMs: number;
  nodeTimeMs: Record<string, number>;
  failRules: FailRule[];
  interrupted(): boolean;
  sleep(ms: number): Promise<void>;
  now(): number;
  /** Live execution events, as ComfyUI sends them on its WebSocket. @default none */
  emit?(type: string, data: Record<string, unknown>): void;
}

export interface RunResult {
  entry: HistoryEntry;
  outcome: 'success' | 'error' | 'interrupted';
  cachedNodes: string[];
  written: WrittenFile[];
}

export async function executePrompt(item: QueueItem, env: RunEnv): Promise<RunResult> {
  const [, promptId, prompt, extraData, outputsToExecute] = item;
  const messages: [string, Record<string, unknown>][] = [];
  const live = (type: string, data: Record<string, unknown>) => env.emit?.(type, data);
  const msg = (event: string, data: Record<string, unknown>) => {
    const full = { prompt_id: promptId, ...data, timestamp: env.now() };
    messages.push([event, full]);
    live(event, full);
  };
  msg('execution_start', {});

  const signatures = signAll(prompt, env.storage);
  if (env.cache) {
    const keep = new Set(Object.values(signatures));
    for (const k of env.cache.keys()) if (!keep.has(k)) env.cache.delete(k);
  }
  const cachedNodes = Object.keys(prompt).filter((id) => env.cache?.has(signatures[id] ?? ''));
  const cachedMsg = { nodes: cachedNodes, prompt_id: promptId, timestamp: env.now() };
  messages.push(['execution_cached', cachedMsg]);
  live('execution_cached', cachedMsg);

  const order = executionOrder(prompt, outputsToExecute);
  const toRun = order.filter((id) => !cachedNodes.includes(id));
  const share = toRun.length > 0 ? env.runMs / toRun.length : 0;
  const values = new Map<string, unknown[]>();
  const outputs: HistoryEntry['outputs'] = {};
  const executed: string[] = [];
  const written: WrittenFile[] = [];
  let outcome: RunResult['outcome'] = 'success';

  for (const id of order) {
    const node = prompt[id] as Workflow[string];
    const sig = signatures[id] ?? '';
    const hit = env.cache?.get(sig);
    if (hit) {
      values.set(id, hit.outputs);
      if (hit.ui) {
        outputs[id] = hit.ui;
        live('executed', { node: id, display_node: id, output: hit.ui, prompt_id: promptId });
      }
      executed.push(id);
      continue;
    }
    if (env.interrupted()) {
      msg('execution_interrupted', {
        node_id: id,
        node_type: node.class_type,
        executed: [...executed],
      });
      outcome = 'interrupted';
      break;
    }
    const inputs = resolveInputs(node, values);
    live('executing', { node: id, display_node: id, prompt_id: promptId });
    try {
      const rule = matchFailRule(env.failRules, promptId, id, node.class_type);
      if (rule) {
        await env.sleep(share);
        throw new NodeRuntimeError(
          rule.message ?? 'Injected failure (stand-in)',
          rule.exceptionType ?? 'RuntimeError',
        );
      }
      const nodeMs = share + (env.nodeTimeMs[node.class_type] ?? 0);
      const ctx: ExecContext = {
        promptId,
        nodeId: id,
        classType: node.class_type,
        prompt,
        extraData,
        storage: env.storage,
        signature: sig,
        async work(steps = 1) {
          for (let s = 0; s < steps; s++) {
            if (s > 0 && env.interrupted()) throw new Interrupted();
            await env.sleep(nodeMs / steps);
            // ComfyUI's progress hook reports sampler steps (and other long nodes) this way.
            if (steps > 1)
              live('progress', { value: s + 1, max: steps, prompt_id: promptId, node: id });
          }
        },
        wrote: (f) => written.push(f),
      };
      const executor = NODE_EXECUTORS[node.class_type];
      if (!executor)
        throw new NodeRuntimeError(`No executor for ${node.class_type}`, 'NotImplementedError');
      const result = await executor(inputs, ctx);
      values.set(id, result.outputs);
      if (result.ui) {
        outputs[id] = result.ui;
        live('executed', { node: id, display_node: id, output: result.ui, prompt_id: promptId });
      }
      const cached: CachedNode = { outputs: result.outputs };
      if (result.ui) cached.ui = result.ui;
      env.cache?.set(sig, cached);
      executed.push(id);
    } catch (err) {
      if (err instanceof Abandoned) throw err;
      if (err instanceof Interrupted) {
        msg('execution_interrupted', {
          node_id: id,
          node_type: node.class_type,
          executed: [...executed],
        });
        outcome = 'interrupted';
        break;
      }
      const e = err instanceof Error ? err : new Error(String(err));
      msg('execution_error', {
        node_id: id,
        node_type: node.class_type,
        executed: [...executed],
        exception_message: `${e.message}\n`,
        exception_type:
          e instanceof NodeRuntimeError || e instanceof AllocationRefusedError
            ? e.exceptionType
            : 'Exception',
        traceback: [`  File "comfy-standin/nodes", in ${node.class_type}\n    ${e.message}\n`],
        current_inputs: Object.fromEntries(
          Object.entries(inputs).map(([k, v]) => [k, [describe(v)]]),
        ),
        current_outputs: [...executed, id],
      });
      outcome = 'error';
      break;
    }
  }
  if (outcome === 'success') msg('execution_success', {});
  const meta: HistoryEntry['meta'] = {};
  for (const id of Object.keys(outputs)) {
    meta[id] = { node_id: id, display_node: id, parent_node: null, real_node_id: id };
  }
  const ok = outcome === 'success';
  return {
    entry: {
      prompt: item,
      outputs,
      status: { status_str: ok ? 'success' : 'error', completed: ok, messages },
      meta,
    },
    outcome,
    cachedNodes,
    written,
  };
}

function matchFailRule(rules: FailRule[], promptId: string, nodeId: string, classType: string) {
  const rule = rules.find(
    (r) =>
      (r.promptId === undefined || r.promptId === promptId) &&
      (r.nodeId === undefined || r.nodeId === nodeId) &&
      (r.classType === undefined || r.classType === classType) &&
      (r.count === undefined || (r.fired ?? 0) < r.count),
  );
  if (rule) rule.fired = (rule.fired ?? 0) + 1;
  return rule;
}

function resolveInputs(
  node: Workflow[string],
  values: Map<string, unknown[]>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node.inputs)) {
    out[k] = Array.isArray(v) && v.length === 2 ? values.get(String(v[0]))?.[Number(v[1])] : v;
  }
  return out;
}

/** Dependencies first, outputs in the order given (depth-first post-order). */
function executionOrder(prompt: Workflow, outputs: string[]): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id) || !prompt[id]) return;
    seen.add(id);
    for (const v of Object.values(prompt[id].inputs)) {
      if (Array.isArray(v) && v.length === 2) visit(String(v[0]));
    }
    order.push(id);
  };
  for (const o of outputs) visit(o);
  return order;
}

/** Input signatures (links resolved recursively); LoadImage also hashes its file (IS_CHANGED). */
function signAll(prompt: Workflow, storage: StandInStorage): Record<string, string> {
  const sigs: Record<string, string> = {};
  const sign = (id: string, depth: number): string => {
    const known = sigs[id];
    if (known) return known;
    const node = prompt[id];
    if (!node || depth > 1000) return `missing:${id}`;
    const parts: unknown[] = [node.class_type];
    for (const [k, v] of Object.entries(node.inputs).sort(([a], [b]) => (a < b ? -1 : 1))) {
      parts.push(
        k,
        Array.isArray(v) && v.length === 2 ? ['link', sign(String(v[0]), depth + 1), v[1]] : v,
      );
    }
    if (node.class_type === 'LoadImage') {
      const path = storage.annotatedPath(String(node.inputs.image));
      parts.push(path ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'missing');
    }
    const sig = createHash('sha256').update(JSON.stringify(parts)).digest('hex');
    sigs[id] = sig;
    return sig;
  };
  for (const id of Object.keys(prompt)) sign(id, 0);
  return sigs;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return `list of ${v.length}`;
  if (v && typeof v === 'object') return `${Object.keys(v).slice(0, 5).join(',')}`;
  return String(v);
}
