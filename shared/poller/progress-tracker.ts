/**
 * How far each running prompt has come, from ComfyUI's execution events. The fraction covers the
 * whole workflow: every node weighs 1, except a node with a numeric `steps` input (a sampler),
 * which weighs its steps, so a 30-step sampler is most of the bar, as it is most of the time.
 * Cached and executed nodes count as done; the executing node counts its `progress` value/max.
 * Nodes ComfyUI skips (not needed for an output) are never done, so the fraction stays below 1
 * until `execution_success`. It never goes back.
 */
import type { ComfyWorkflow } from '../domain/task.js';
import type { ComfyEvent } from '../ports/comfy-events.js';

export interface NodeWeight {
  weight: number;
  type: string;
}

export function nodeWeights(workflow: ComfyWorkflow): Record<string, NodeWeight> {
  const out: Record<string, NodeWeight> = {};
  for (const [id, node] of Object.entries(workflow)) {
    const steps = node.inputs?.steps;
    const weight = typeof steps === 'number' && steps >= 1 ? Math.min(steps, 10_000) : 1;
    out[id] = { weight, type: node.class_type };
  }
  return out;
}

export interface ProgressSnapshot {
  fraction: number;
  step?: number;
  steps?: number;
  nodeId?: string;
  nodeType?: string;
}

interface RunState {
  weights?: Record<string, NodeWeight>;
  done: Set<string>;
  current?: string;
  step?: number;
  steps?: number;
  fraction: number;
  finished: boolean;
  /** Bumped on every change; the recorder writes when it moved. */
  seq: number;
}

/** What an event meant for the poller. */
export interface Applied {
  promptId: string;
  /** The prompt started, or ended (success, error, interrupt, or the final `executing null`). */
  lifecycle?: 'started' | 'ended';
}

export class ProgressTracker {
  private readonly runs = new Map<string, RunState>();
  /** The prompt executing now, per server, for `progress` events that carry no prompt id. */
  private readonly lastPrompt = new Map<string, string>();

  /** The workflow's node weights (may come after the first events). */
  setWorkflow(promptId: string, workflow: ComfyWorkflow): void {
    const run = this.run(promptId);
    run.weights = nodeWeights(workflow);
    this.recompute(run);
  }

  has(promptId: string): boolean {
    return this.runs.get(promptId)?.weights !== undefined;
  }

  forget(promptId: string): void {
    this.runs.delete(promptId);
  }

  prompts(): string[] {
    return [...this.runs.keys()];
  }

  apply(server: string, e: ComfyEvent): Applied | undefined {
    if (e.type === 'status') return undefined;
    const promptId = e.promptId ?? this.lastPrompt.get(server);
    if (!promptId) return undefined;
    const run = this.run(promptId);
    let lifecycle: Applied['lifecycle'];
    switch (e.type) {
      case 'execution_start':
        this.lastPrompt.set(server, promptId);
        lifecycle = 'started';
        break;
      case 'execution_cached':
        for (const n of e.nodes) run.done.add(n);
        break;
      case 'executing':
        if (e.node === null) {
          lifecycle = 'ended';
          break;
        }
        this.lastPrompt.set(server, promptId);
        if (run.current && run.current !== e.node) run.done.add(run.current);
        run.current = e.node;
        delete run.step;
        delete run.steps;
        break;
      case 'progress':
        if (run.current !== e.node) {
          if (run.current) run.done.add(run.current);
          run.current = e.node;
        }
        run.step = e.value;
        run.steps = e.max;
        break;
      case 'executed':
        run.done.add(e.node);
        break;
      case 'execution_success':
        run.finished = true;
        lifecycle = 'ended';
        break;
      case 'execution_error':
      case 'execution_interrupted':
        lifecycle = 'ended';
        break;
    }
    this.recompute(run);
    return { promptId, ...(lifecycle ? { lifecycle } : {}) };
  }

  /** The prompt's progress, once its workflow is known. */
  snapshot(promptId: string): (ProgressSnapshot & { seq: number }) | undefined {
    const run = this.runs.get(promptId);
    if (!run?.weights) return undefined;
    const out: ProgressSnapshot & { seq: number } = { fraction: run.fraction, seq: run.seq };
    if (run.current) {
      out.nodeId = run.current;
      const type = run.weights[run.current]?.type;
      if (type) out.nodeType = type;
    }
    if (run.step !== undefined && run.steps !== undefined) {
      out.step = run.step;
      out.steps = run.steps;
    }
    return out;
  }

  private run(promptId: string): RunState {
    let run = this.runs.get(promptId);
    if (!run) {
      run = { done: new Set(), fraction: 0, finished: false, seq: 0 };
      this.runs.set(promptId, run);
    }
    return run;
  }

  private recompute(run: RunState): void {
    const before = { f: run.fraction, c: run.current, s: run.step };
    if (run.weights) {
      if (run.finished) run.fraction = 1;
      else {
        let total = 0;
        let done = 0;
        for (const [id, w] of Object.entries(run.weights)) {
          total += w.weight;
          if (run.done.has(id)) done += w.weight;
          else if (id === run.current && run.step !== undefined && run.steps)
            done += w.weight * Math.min(1, run.step / run.steps);
        }
        const f = total > 0 ? Math.min(0.99, done / total) : 0;
        run.fraction = Math.max(run.fraction, Math.round(f * 1000) / 1000);
      }
    }
    if (before.f !== run.fraction || before.c !== run.current || before.s !== run.step) run.seq++;
  }
}
