/**
 * What the chaos run found, and the invariants it checks:
 * - every submitted task is terminal;
 * - a `succeeded` task has exactly its recorded outputs in S3 (one object each, nothing else under
 *   its prefix), each byte-identical (sha256) to the file the stand-in wrote for that task in a
 *   successful run, and to no other task's file;
 * - no object under a task that did not succeed, nor outside any task's prefix;
 * - no task is still queued or active at the end (a lost message, a killed submit or a copy that
 *   keeps failing must still end);
 * - no prompt ran twice at ComfyUI except after a restart lost its first run: completed runs
 *   (success, error, interrupted) at most 1 + the times the poller re-queued the task after ComfyUI
 *   lost it, re-queues at most MAX_REQUEUES (runs cut short by a restart are counted apart, as
 *   "lost"), and no task submitted by two deliveries at once;
 * - a task whose S3 writes are denied for good ends `failed OUTPUT_COPY_FAILED` with the output and
 *   the S3 error code of its last attempt in its details (the denial, or an injected 503 that came
 *   first), and nothing under its prefix; or, if ComfyUI lost it more often than re-queues allow
 *   while its copy was still retried, `failed COMFYUI_LOST_TASK`, as any task lost that often;
 * - every `failed` task says why (error code and message);
 * - webhooks, delivered once in effect: every terminal task's receiver got its terminal event
 *   (`task.<status>`), verified, answered 2xx; every copy of one task's event carries one
 *   `webhook-id` (a receiver drops the rest by id); no event of another terminal status; every
 *   signature verified; the task records the delivery; nothing in the webhook dead-letter queue.
 * With the GPU fleet on (a local fleet scaled by the controller, servers killed at random):
 * - no server was stopped by the fleet while it held prompts (running or pending): scale-in only ever
 *   takes idle servers; only a kill (a spot interruption) takes prompts with it;
 * - once the work is done the fleet goes back to its minimum after the idle time.
 */

import type { RunRecord } from '../../infra/local/comfy-standin/index.js';
import { ownerSegment } from '../../shared/domain/owner.js';
import type { Task } from '../../shared/domain/task.js';
import { isTerminal } from '../../shared/domain/task.js';
import { DEFAULT_WEBHOOK_EVENTS } from '../../shared/domain/webhook.js';
import { keys } from '../../shared/resources.js';
import type { ReceivedDelivery, WebhookFaults } from './faults/webhook-receiver.js';
import type { ChaosFleetStats } from './fleet.js';
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
  /** Tasks whose submit was killed between storing and sending (no message ever sent). */
  submitsKilled: Set<string>;
  /** Times the whole runtime was killed and restarted (queues lost, ComfyUI restarted). */
  runtimeCrashes: number;
  /** Tasks whose S3 writes were denied for the whole run. */
  s3DeniedTasks: Set<string>;
  s3WritesDenied: number;
  /** Dispatch messages the sweeper sent again. */
  sweeperResends: number;
  /** Copies of a message deferred because another dispatcher held the task's claim. */
  claimDeferrals: number;
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
   * Tasks two deliveries submitted at once, as the dispatcher logged it. The dispatch claim (ADR 001
   * §1) closes that window: any is a violation.
   */
  duplicateDispatches: Set<string>;
  webhooks: {
    /** Deliveries the receivers answered 2xx. */
    received: ReceivedDelivery[];
    /** Deliveries whose signature did not verify. */
    rejected: string[];
    faults: WebhookFaults;
    /** Webhook messages SQS delivered twice (same batch or re-sent). */
    sqsDuplicates: number;
    /** Messages left in the webhook dead-letter queue. */
    deadLetters: number;
  };
  faults: FaultStats;
  /** With the GPU fleet on: what it did. */
  fleet?: ChaosFleetStats & {
    /** Tasks a killed server held that the poller re-queued. */
    requeuedFromKilled: number;
  };
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
  /** Tasks two deliveries submitted at once (the dispatcher's warning): must be none. */
  duplicateDispatchRuns: number;
  /** How the tasks whose submit was killed ended, by status. */
  killedSubmits: Record<string, number>;
  /** How the tasks whose S3 writes were denied ended, by status or error code. */
  deniedOutcomes: Record<string, number>;
  failedWithoutReason: number;
  nonTerminal: number;
  notSubmitted: number;
  /** Terminal events received (2xx), and those received again under the same webhook-id. */
  webhooksDelivered: number;
  webhookRepeats: number;
  /** Terminal tasks whose terminal event never arrived, or arrived under two ids or the wrong type. */
  webhooksMissing: number;
  webhooksSplit: number;
  webhooksWrongType: number;
  webhooksUnrecorded: number;
  /** How the tasks a killed server held ended, by status. */
  killedServerTasks: Record<string, number>;
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
    killedSubmits: {},
    deniedOutcomes: {},
    failedWithoutReason: 0,
    nonTerminal: 0,
    notSubmitted: 0,
    webhooksDelivered: 0,
    webhookRepeats: 0,
    webhooksMissing: 0,
    webhooksSplit: 0,
    webhooksWrongType: 0,
    webhooksUnrecorded: 0,
    killedServerTasks: {},
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

  const terminalTypes = new Set<string>(DEFAULT_WEBHOOK_EVENTS);
  const terminalByTask = new Map<string, ReceivedDelivery[]>();
  for (const d of input.webhooks.received) {
    if (!terminalTypes.has(d.type)) continue;
    terminalByTask.set(d.taskId, [...(terminalByTask.get(d.taskId) ?? []), d]);
  }
  for (const reason of input.webhooks.rejected) v(`a webhook delivery did not verify: ${reason}`);
  if (input.webhooks.deadLetters > 0)
    v(`${input.webhooks.deadLetters} webhook event(s) in the dead-letter queue`);

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
    if (isTerminal(task.status)) checkWebhooks(task, terminalByTask.get(id) ?? [], r, v);

    // Runs at ComfyUI against the retry policy.
    const runs = runsByTask.get(id) ?? [];
    const completed = runs.filter((x) => x.outcome !== 'lost' && x.outcome !== 'running');
    r.lostRuns += runs.length - completed.length;
    bump(r.runsPerTask, String(completed.length));
    const requeues = task.requeues ?? 0;
    if (input.duplicateDispatches.has(id)) {
      r.duplicateDispatchRuns++;
      v(`task ${id} (#${plan.index}) was submitted to ComfyUI by two deliveries at once`);
    }
    // No prompt runs twice at ComfyUI, except after a restart lost its first run (a re-queue).
    if (completed.length > 1 + requeues || requeues > input.maxRequeues) {
      r.overRetryPolicy++;
      v(
        `task ${id} (#${plan.index}) ran ${completed.length} times to completion at ComfyUI with ${requeues} re-queue(s) (outcomes: ${runs.map((x) => x.outcome).join(', ')})`,
      );
    }

    if (input.faults.submitsKilled.has(id)) bump(r.killedSubmits, task.status);
    if (input.faults.s3DeniedTasks.has(id)) {
      bump(r.deniedOutcomes, task.error?.code ?? task.status);
      if (task.status === 'succeeded') v(`task ${id} succeeded though S3 denied its writes`);
      else if (
        plan.kind === 'ok' &&
        task.error?.code !== 'OUTPUT_COPY_FAILED' &&
        // Lost by ComfyUI (a restart, a killed server) more often than re-queues allow while its
        // copy was still being retried: it ends lost, as any task lost that often does.
        !(task.error?.code === 'COMFYUI_LOST_TASK' && (task.requeues ?? 0) >= input.maxRequeues)
      )
        v(`task ${id} was denied S3 writes but ended ${task.error?.code ?? task.status}`);
      else if (task.error?.code === 'OUTPUT_COPY_FAILED') {
        const d = task.error.details as { output?: { s3Key?: string }; s3ErrorCode?: string };
        // The last attempt's S3 error: the denial, or an injected 503 SlowDown if that came first.
        if (!['AccessDenied', 'SlowDown'].includes(d?.s3ErrorCode ?? '') || !d.output?.s3Key)
          v(`task ${id} failed OUTPUT_COPY_FAILED without the output and S3 code in details`);
      }
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
  const fleet = input.fleet;
  if (fleet) {
    for (const id of fleet.heldByKilled) {
      const task = input.tasks.get(id);
      if (task) bump(r.killedServerTasks, task.status);
    }
    if (fleet.busyStops > 0)
      v(`${fleet.busyStops} server(s) stopped by the fleet while holding prompts`);
    if (fleet.liveAtEnd > fleet.settings.minGpus)
      v(
        `${fleet.liveAtEnd} server(s) still up after the work and the idle time (minimum ${fleet.settings.minGpus})`,
      );
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

/** The terminal event of a terminal task: arrived, under one webhook-id, recorded on the task. */
function checkWebhooks(
  task: Task,
  got: ReceivedDelivery[],
  r: ChaosReport,
  v: (msg: string) => void,
): void {
  const id = task.taskId;
  const type = `task.${task.status}`;
  const wrong = got.filter((d) => d.type !== type);
  if (wrong.length > 0) {
    r.webhooksWrongType++;
    v(`task ${id} is ${task.status} but its receiver got ${wrong.map((d) => d.type).join(', ')}`);
  }
  const right = got.filter((d) => d.type === type);
  if (right.length === 0) {
    r.webhooksMissing++;
    v(`task ${id} is ${task.status} but its receiver never got ${type}`);
    return;
  }
  r.webhooksDelivered++;
  r.webhookRepeats += right.length - 1;
  const ids = new Set(right.map((d) => d.webhookId));
  if (ids.size > 1) {
    r.webhooksSplit++;
    v(`task ${id}: ${type} arrived under ${ids.size} webhook-ids (${[...ids].join(', ')})`);
  }
  const recorded = task.deliveries?.[type];
  if (!recorded?.deliveredAt || !ids.has(recorded.webhookId)) {
    r.webhooksUnrecorded++;
    v(`task ${id}: its ${type} delivery is not recorded as delivered on the task`);
  }
}

const row = (label: string, value: string | number, width = 44) =>
  `  ${label.padEnd(width)} ${String(value).padStart(8)}`;

function fleetLines(input: ChaosInput, r: ChaosReport): string[] {
  const f = input.fleet;
  if (!f) return [];
  const s = f.settings;
  return [
    '',
    `GPU fleet: ${s.minGpus} to ${s.maxGpus} servers, boot ${s.bootMs} ms, idle ${s.idleMs} ms, a kill every ~${(s.killEveryMs / 1000).toFixed(1)} s${s.warmPool ? ', warm pool' : ''}${s.idleFollowsDemand ? ', idle time follows demand' : ''}${s.hangEveryMs ? `, a hang every ~${(s.hangEveryMs / 1000).toFixed(1)} s` : ''}`,
    row('servers started', f.launched),
    ...(s.warmPool ? [row('  of them again from the warm pool', f.reused)] : []),
    row('servers stopped by scale-in (idle)', f.stopped['scale-in'] ?? 0),
    ...Object.entries(f.stopped)
      .filter(([k]) => k !== 'scale-in')
      .sort()
      .map(([k, n]) => row(`servers stopped (${k})`, n)),
    row('servers killed at random', f.killed),
    ...(s.hangEveryMs ? [row('servers made to hang at random', f.hung)] : []),
    row('servers lost in the runtime crash', f.lostInCrash),
    row('most servers ready at once', f.peakReady),
    row(`tasks held by killed${s.hangEveryMs ? ' or hung' : ''} servers`, f.heldByKilled.size),
    row('  re-queued by the poller', f.requeuedFromKilled),
    ...Object.entries(r.killedServerTasks)
      .sort()
      .map(([k, n]) => row(`  ended ${k}`, n)),
    row('busy servers stopped by the fleet (must be 0)', f.busyStops),
    row('servers up at the end', f.liveAtEnd),
    row('controller ticks failed (retried)', f.controllerErrors),
  ];
}

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
    row('submits killed between store and send', f.submitsKilled.size),
    row('runtime crashes (kill -9: queues lost)', f.runtimeCrashes),
    row('tasks with S3 writes denied for good', f.s3DeniedTasks.size),
    row('  S3 writes denied', f.s3WritesDenied),
    row('webhook deliveries answered 500', input.webhooks.faults.status500),
    row('webhook deliveries hung past the time limit', input.webhooks.faults.hang),
    row('webhook deliveries reset', input.webhooks.faults.reset),
    row('webhook messages delivered twice by SQS', input.webhooks.sqsDuplicates),
    ...fleetLines(input, r),
    '',
    'recovery',
    row('dispatch messages re-sent by the sweeper', f.sweeperResends),
    row('copies deferred by a dispatch claim', f.claimDeferrals),
    ...Object.entries(r.killedSubmits)
      .sort()
      .map(([k, n]) => row(`killed submits ended ${k}`, n)),
    ...Object.entries(r.deniedOutcomes)
      .sort()
      .map(([k, n]) => row(`S3-denied tasks ended ${k}`, n)),
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
    row(
      input.fleet
        ? 'runs cut short by a restart or a kill (lost)'
        : 'runs cut short by a restart (lost)',
      r.lostRuns,
    ),
    ...Object.entries(r.requeues)
      .sort()
      .map(([k, n]) => row(`re-queued ${k} time(s)`, `${n} tasks`)),
    '',
    'checks',
    row('outputs checked (sha256 vs stand-in)', r.outputsChecked),
    row('tasks still queued or active', r.nonTerminal),
    row('tasks never accepted', r.notSubmitted),
    row('outputs stored twice / unrecorded', r.duplicates),
    row('outputs not matching their run', r.mismatches),
    row('recorded outputs missing in S3', r.missing),
    row('objects outside a succeeded task', r.strays),
    row('prompts run twice (not after a lost run)', r.overRetryPolicy),
    row('prompts submitted by two deliveries at once', r.duplicateDispatchRuns),
    row('failed tasks without a reason', r.failedWithoutReason),
    row('terminal webhook events delivered (verified)', r.webhooksDelivered),
    row('  received again under the same id', r.webhookRepeats),
    row('terminal tasks without their webhook', r.webhooksMissing),
    row('webhook events under two ids', r.webhooksSplit),
    row('webhook events of the wrong status', r.webhooksWrongType),
    row('webhook deliveries not recorded on the task', r.webhooksUnrecorded),
    row('webhook events dead-lettered', input.webhooks.deadLetters),
    '',
    r.violations.length === 0
      ? 'RESULT: all invariants hold'
      : `RESULT: ${r.violations.length} violation(s):\n${r.violations.map((x) => `  - ${x}`).join('\n')}`,
  ];
  return lines.join('\n');
}
