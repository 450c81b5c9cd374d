/**
 * The run figures 1, 2 and 4 are read from: `tasks` tasks (default 200) submitted at once through the
 * HTTP API of the local runtime with default settings, spread over owners so the per-owner cap on
 * unfinished tasks (MAX_ACTIVE_TASKS_PER_OWNER, 50) does not refuse any.
 *
 * The bench learns that a task is done by polling its status, which costs requests of its own. To
 * keep that small and precise, a task is polled every 50 ms only from the moment ComfyUI finished its
 * run (from the run source), and otherwise every 10 s as a safety net (a task failing before ComfyUI
 * ever runs it). Status calls are counted apart from the system's own requests.
 */
import { randomUUID } from 'node:crypto';
import type { ComfyWorkflow } from '../../shared/domain/task.js';
import { isDone, isTerminal, type TaskApiClient, type TaskView } from '../lib/api-client.js';
import { historyRuns, type RunSource, type RunTimes, standInRuns } from '../lib/comfy-runs.js';
import type { BenchSystem } from '../lib/system.js';
import type { Usage } from '../lib/usage.js';

export const HOT_POLL_MS = 50;
const SLOW_POLL_MS = 10_000;

interface TaskTrace {
  taskId: string;
  key: string;
  submitStatus: number;
  submittedAt: number;
  /** When the client first read the task `succeeded` with links (response received, epoch ms). */
  doneAt?: number;
  status?: string;
  errorCode?: string;
  polls: number;
  lastPollAt: number;
  inFlight: boolean;
}

export interface LoadRunResult {
  tasks: TaskTrace[];
  /** Every run ComfyUI made for these tasks, by task id. */
  runs: Map<string, RunTimes>;
  runSource: string;
  usage: Usage;
  /** Status calls the bench made (its polling). */
  statusCalls: number;
  submitCalls: number;
  durationMs: number;
  timedOut: boolean;
}

export async function loadRun(
  system: BenchSystem,
  opts: {
    tasks: number;
    workflow: (runId: string, i: number) => ComfyWorkflow;
    /** More fields of the i-th submit body (e.g. a webhook), sent with `key`. */
    extra?: (i: number, key: string) => Record<string, unknown>;
    timeoutMs: number;
    log: (line: string) => void;
  },
): Promise<LoadRunResult> {
  const source: RunSource = system.standIn
    ? standInRuns(system.standIn)
    : historyRuns(system.comfyUrl);
  const runId = randomUUID().slice(0, 8);
  system.meter.reset();
  const started = Date.now();
  const submitted = await Promise.all(
    Array.from({ length: opts.tasks }, async (_, i) => {
      const key = system.keys[i % system.keys.length] as string;
      const call = await system.api.submit(key, {
        workflow: opts.workflow(runId, i),
        ...opts.extra?.(i, key),
      });
      return { call, key };
    }),
  );
  const tasks: TaskTrace[] = [];
  for (const { call, key } of submitted) {
    if (call.status === 202 && call.body.taskId) {
      tasks.push({
        taskId: call.body.taskId,
        key,
        submitStatus: call.status,
        submittedAt: call.sentAt,
        polls: 0,
        lastPollAt: call.receivedAt,
        inFlight: false,
      });
    } else {
      opts.log(`submit answered ${call.status}: ${JSON.stringify(call.body)}`);
    }
  }
  opts.log(`${tasks.length}/${opts.tasks} tasks accepted in ${Date.now() - started} ms`);

  let statusCalls = 0;
  const poll = async (t: TaskTrace, api: TaskApiClient) => {
    t.inFlight = true;
    t.polls += 1;
    statusCalls += 1;
    try {
      const call = await api.get(t.key, t.taskId);
      t.lastPollAt = call.receivedAt;
      const view = call.body as TaskView;
      if (call.status === 200) {
        t.status = view.status;
        if (isDone(view)) t.doneAt ??= call.receivedAt;
        else if (isTerminal(view)) t.errorCode = view.error?.code ?? view.status;
      }
    } catch {
      t.lastPollAt = Date.now();
    } finally {
      t.inFlight = false;
    }
  };
  const open = () => tasks.filter((t) => t.doneAt === undefined && t.errorCode === undefined);
  const deadline = started + opts.timeoutMs;
  let lastReport = Date.now();
  while (open().length > 0 && Date.now() < deadline) {
    const runs = source.runs();
    const now = Date.now();
    for (const t of open()) {
      if (t.inFlight) continue;
      const finished = runs.get(t.taskId)?.finishedAt !== undefined;
      const due = finished ? now - t.lastPollAt >= HOT_POLL_MS : now - t.lastPollAt >= SLOW_POLL_MS;
      if (due) void poll(t, system.api);
    }
    if (now - lastReport > 10_000) {
      lastReport = now;
      opts.log(`${tasks.length - open().length}/${tasks.length} tasks done`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  while (tasks.some((t) => t.inFlight)) await new Promise((r) => setTimeout(r, 10));
  const durationMs = Date.now() - started;
  const usage = system.meter.snapshot();
  const all = source.runs();
  await source.stop();
  const runs = new Map<string, RunTimes>();
  for (const t of tasks) {
    const r = all.get(t.taskId);
    if (r) runs.set(t.taskId, r);
  }
  return {
    tasks,
    runs,
    runSource: source.kind,
    usage,
    statusCalls,
    submitCalls: opts.tasks,
    durationMs,
    timedOut: open().length > 0,
  };
}
