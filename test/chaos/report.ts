/**
 * What the chaos run found, and the invariants it checks:
 * - every submitted task is terminal;
 * - a `succeeded` task has exactly its recorded outputs in S3 (one object each, nothing else under
 *   its prefix), each byte-identical (sha256) to the file the stand-in wrote for that task in a
 *   successful run, and to no other task's file;
 * - no object under a task that did not succeed, nor outside any task's prefix;
 * - ComfyUI ran no task more than the retry policy allows: completed runs (success, error,
 *   interrupted) at most 1 + the times the poller re-queued the task after ComfyUI lost it, and
 *   re-queues at most MAX_REQUEUES (runs cut short by a restart are counted apart, as "lost");
 * - every `failed` task says why (error code and message).
 */

import type { RunRecord } from '../../infra/local/comfy-standin/index.js';
import { ownerSegment } from '../../shared/domain/owner.js';
import type { Task } from '../../shared/domain/task.js';
import { isTerminal } from '../../shared/domain/task.js';
import { keys } from '../../shared/resources.js';
import { OUTPUTS_PER_TASK } from './workflows.js';
import type { TaskPlan } from './workload.js';

interface FaultStats {
  restarts: number;
  comfyFaults: Record<string, number>;
  s3WritesFailed: number;
  sqsDuplicatesInBatch: number;
  sqsDuplicatesResent: number;
  apiRetries: number;
  pollerInvocations: { pollerA: number; pollerB: number };
  workerErrors: number;
}

export interface ChaosInput {
  seed: number;
  plans: TaskPlan[];
  tasks: Map<string, Task>;
  runs: RunRecord[];
  /** Every object under outputs/, key -> sha256. */
  objects: Map<string, string>;
  maxRequeues: number;
  /**
   * Tasks two deliveries submitted at once, as the dispatcher logged it: the window ADR 001 §1
   * leaves open. Their extra run is counted apart, not as a violation.
   */
  duplicateDispatches: Set<string>;
  faults: FaultStats;
  chaosMs: number;
  drainMs: number;
}

export interface ChaosReport {
  statuses: Record<string, number>;
  errorCodes: Record<string, number>;
  /** Completed ComfyUI runs per task -> number of tasks. */
  runsPerTask: Record<string, number>;
  lostRuns: number;
  requeues: Record<string, number>;
  outputsChecked: number;
  duplicates: number;
  mismatches: number;
  strays: number;
  missing: number;
  overRetryPolicy: number;
  /** Tasks with one run more than the policy, explained by a logged simultaneous duplicate dispatch. */
  duplicateDispatchRuns: number;
  failedWithoutReason: number;
  nonTerminal: number;
  notSubmitted: number;
  violations: string[];
}

const bump = (m: Record<string, number>, k: string, by = 1) => {
  m[k] = (m[k] ?? 0) + by;
};
const fileId = (f: { nodeId: string; filename: string; subfolder: string; type: string }) =>
  JSON.stringify([f.nodeId, f.type, f.subfolder, f.filename]);

export function buildReport(input: ChaosInput): ChaosReport {
  const r: ChaosReport = {
    statuses: {},
    errorCodes: {},
    runsPerTask: {},
    lostRuns: 0,
    requeues: {},
    outputsChecked: 0,
    duplicates: 0,
    mismatches: 0,
    strays: 0,
    missing: 0,
    overRetryPolicy: 0,
    duplicateDispatchRuns: 0,
    failedWithoutReason: 0,
    nonTerminal: 0,
    notSubmitted: 0,
    violations: [],
  };
  const v = (msg: string) => {
    if (r.violations.length < 200) r.violations.push(msg);
  };

  // Which task wrote which bytes (success runs only: only those may be stored).
  const runsByTask = new Map<string, RunRecord[]>();
  const writerOf = new Map<string, Set<string>>();
  for (const run of input.runs) {
    runsByTask.set(run.promptId, [...(runsByTask.get(run.promptId) ?? []), run]);
    for (const f of run.outputs) {
      if (!f.sha256) continue;
      const set = writerOf.get(f.sha256) ?? new Set();
      set.add(run.promptId);
      writerOf.set(f.sha256, set);
    }
  }

  const prefixes = new Map<string, string>();
  for (const plan of input.plans) {
    if (!plan.taskId) {
      r.notSubmitted++;
      v(`task #${plan.index} was never accepted: ${plan.submitError ?? 'no answer'}`);
      continue;
    }
    const id = plan.taskId;
    const task = input.tasks.get(id);
    if (!task) {
      r.nonTerminal++;
      v(`task ${id} (#${plan.index}) is not in the table`);
      continue;
    }
    bump(r.statuses, task.status);
    if (task.error) bump(r.errorCodes, task.error.code);
    bump(r.requeues, String(task.requeues ?? 0));
    const prefix = keys.outputPrefix(ownerSegment(task.owner), id);
    prefixes.set(prefix, id);
    if (!isTerminal(task.status)) {
      r.nonTerminal++;
      v(`task ${id} (#${plan.index}, ${plan.kind}) ended the run ${task.status}`);
    }
    if (task.status === 'failed' && (!task.error?.code || !task.error.message)) {
      r.failedWithoutReason++;
      v(`task ${id} failed without an error code and message`);
    }

    // Runs at ComfyUI against the retry policy.
    const runs = runsByTask.get(id) ?? [];
    const completed = runs.filter((x) => x.outcome !== 'lost' && x.outcome !== 'running');
    r.lostRuns += runs.length - completed.length;
    bump(r.runsPerTask, String(completed.length));
    const requeues = task.requeues ?? 0;
    const windowed = input.duplicateDispatches.has(id) && completed.length === 2 + requeues;
    if (windowed) r.duplicateDispatchRuns++;
    if ((completed.length > 1 + requeues && !windowed) || requeues > input.maxRequeues) {
      r.overRetryPolicy++;
      v(
        `task ${id} (#${plan.index}) ran ${completed.length} times to completion at ComfyUI with ${requeues} re-queue(s) (outcomes: ${runs.map((x) => x.outcome).join(', ')})`,
      );
    }

    // Outputs.
    const stored = [...input.objects.keys()].filter((k) => k.startsWith(prefix));
    if (task.status !== 'succeeded') {
      if (stored.length > 0) {
        r.strays += stored.length;
        v(`task ${id} is ${task.status} but has ${stored.length} object(s) under its prefix`);
      }
      continue;
    }
    const recorded = new Set(task.outputs.map((o) => o.s3Key));
    if (recorded.size !== task.outputs.length) {
      r.duplicates += task.outputs.length - recorded.size;
      v(`task ${id} records the same S3 key twice`);
    }
    const extra = stored.filter((k) => !recorded.has(k));
    if (extra.length > 0) {
      r.duplicates += extra.length;
      v(`task ${id} has ${extra.length} object(s) under its prefix that it does not record`);
    }
    if (plan.kind !== 'fail' && task.outputs.length !== OUTPUTS_PER_TASK) {
      v(`task ${id} succeeded with ${task.outputs.length} outputs, not ${OUTPUTS_PER_TASK}`);
    }
    const hashes = new Set<string>();
    const written = new Map<string, string>();
    for (const run of runs.filter((x) => x.outcome === 'success')) {
      for (const f of run.outputs) if (f.sha256) written.set(fileId(f), f.sha256);
    }
    for (const o of task.outputs) {
      r.outputsChecked++;
      const sha = input.objects.get(o.s3Key);
      if (!sha) {
        r.missing++;
        v(`task ${id}: output ${o.s3Key} is recorded but not in S3`);
        continue;
      }
      if (hashes.has(sha)) {
        r.duplicates++;
        v(`task ${id}: two of its objects hold the same bytes (${o.s3Key})`);
      }
      hashes.add(sha);
      const expected = written.get(fileId(o));
      const writers = writerOf.get(sha) ?? new Set();
      if (expected !== sha || writers.size !== 1 || !writers.has(id)) {
        r.mismatches++;
        v(
          `task ${id}: ${o.s3Key} (sha256 ${sha.slice(0, 12)}) is not the file its run wrote (${expected?.slice(0, 12) ?? 'none recorded'}); written by ${[...writers].join(', ') || 'no run'}`,
        );
      }
    }
  }
  for (const key of input.objects.keys()) {
    const prefix = `${key.split('/').slice(0, 3).join('/')}/`;
    if (!prefixes.has(prefix)) {
      r.strays++;
      v(`object ${key} belongs to no task of the run`);
    }
  }
  return r;
}

const row = (label: string, value: string | number, width = 44) =>
  `  ${label.padEnd(width)} ${String(value).padStart(8)}`;

export function formatReport(input: ChaosInput, r: ChaosReport): string {
  const kinds: Record<string, number> = {};
  for (const p of input.plans) bump(kinds, p.kind);
  const f = input.faults;
  const lines = [
    `chaos run: seed ${input.seed}, ${input.plans.length} tasks (${kinds.ok ?? 0} plain, ${kinds.fail ?? 0} with a failing node, ${kinds.cancel ?? 0} cancelled at random moments)`,
    `faults on for ${(input.chaosMs / 1000).toFixed(1)} s, drained in ${(input.drainMs / 1000).toFixed(1)} s`,
    '',
    'faults injected',
    row('ComfyUI restarts', f.restarts),
    ...Object.entries(f.comfyFaults).map(([k, n]) => row(`ComfyUI calls answered ${k}`, n)),
    row('S3 writes failed (SDK middleware)', f.s3WritesFailed),
    row('SQS duplicates in the same batch', f.sqsDuplicatesInBatch),
    row('SQS duplicates re-sent to the queue', f.sqsDuplicatesResent),
    row('API calls retried by the client', f.apiRetries),
    row('poller A invocations (DynamoDB lease)', f.pollerInvocations.pollerA),
    row('poller B invocations (no lease)', f.pollerInvocations.pollerB),
    row('worker invocation errors (retried)', f.workerErrors),
    '',
    'task status',
    ...Object.entries(r.statuses)
      .sort()
      .map(([k, n]) => row(k, n)),
    '',
    'error codes',
    ...(Object.keys(r.errorCodes).length
      ? Object.entries(r.errorCodes)
          .sort()
          .map(([k, n]) => row(k, n))
      : [row('(none)', 0)]),
    '',
    'completed ComfyUI runs per task',
    ...Object.entries(r.runsPerTask)
      .sort()
      .map(([k, n]) => row(`${k} run(s)`, `${n} tasks`)),
    row('runs cut short by a restart (lost)', r.lostRuns),
    ...Object.entries(r.requeues)
      .sort()
      .map(([k, n]) => row(`re-queued ${k} time(s)`, `${n} tasks`)),
    '',
    'checks',
    row('outputs checked (sha256 vs stand-in)', r.outputsChecked),
    row('tasks not terminal', r.nonTerminal),
    row('tasks never accepted', r.notSubmitted),
    row('outputs stored twice / unrecorded', r.duplicates),
    row('outputs not matching their run', r.mismatches),
    row('recorded outputs missing in S3', r.missing),
    row('objects outside a succeeded task', r.strays),
    row('tasks over the retry policy', r.overRetryPolicy),
    row('  + 1 run: simultaneous duplicate (ADR 001)', r.duplicateDispatchRuns),
    row('failed tasks without a reason', r.failedWithoutReason),
    '',
    r.violations.length === 0
      ? 'RESULT: all invariants hold'
      : `RESULT: ${r.violations.length} violation(s):\n${r.violations.map((x) => `  - ${x}`).join('\n')}`,
  ];
  return lines.join('\n');
}
