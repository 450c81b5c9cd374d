/**
 * The chaos run's callers: submit every task through the HTTP API with its own Idempotency-Key
 * (retrying 5xx, 429 and dropped connections with the same key, as a client should), and cancel a
 * share of them at random moments.
 */
import { chaosWorkflow } from './workflows.js';

type TaskKind = 'ok' | 'fail' | 'cancel';

export interface TaskPlan {
  index: number;
  owner: string;
  kind: TaskKind;
  /** For `cancel`: how long after the submit answered. */
  cancelAfterMs: number;
  taskId?: string;
  submitAttempts: number;
  submitError?: string;
  cancelStatus?: number;
}

export function planTasks(
  n: number,
  owners: readonly string[],
  random: () => number,
  rates: { fail: number; cancel: number },
): TaskPlan[] {
  return Array.from({ length: n }, (_, index) => {
    const r = random();
    const kind: TaskKind =
      r < rates.fail ? 'fail' : r < rates.fail + rates.cancel ? 'cancel' : 'ok';
    return {
      index,
      owner: owners[index % owners.length] as string,
      kind,
      cancelAfterMs: Math.floor(random() * 4000),
      submitAttempts: 0,
    };
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function callWithRetries(
  send: () => Promise<Response>,
  attempts: number,
): Promise<{ res?: Response; tries: number; error?: string }> {
  let error: string | undefined;
  for (let tries = 1; tries <= attempts; tries++) {
    try {
      const res = await send();
      if (res.status < 500 && res.status !== 429) return { res, tries };
      error = `HTTP ${res.status} ${await res.text()}`;
    } catch (err) {
      error = String(err);
    }
    await sleep(Math.min(2000, 100 * 2 ** tries));
  }
  return { tries: attempts, ...(error ? { error } : {}) };
}

export interface Workload {
  /** Resolves when every submit and every cancel has been answered. */
  done: Promise<void>;
  apiRetries(): number;
}

export function runWorkload(opts: {
  apiUrl: string;
  keys: Record<string, string>;
  plans: TaskPlan[];
  seed: number;
  concurrency: number;
  /** Each task subscribes its owner's receiver to its terminal events. */
  webhookUrl?: (owner: string) => string;
}): Workload {
  let retries = 0;
  const cancels: Promise<void>[] = [];
  const headers = (owner: string, extra: Record<string, string> = {}) => ({
    'content-type': 'application/json',
    'x-api-key': opts.keys[owner] as string,
    ...extra,
  });
  const submit = async (plan: TaskPlan) => {
    const body = JSON.stringify({
      workflow: chaosWorkflow(plan.index, plan.kind === 'fail'),
      metadata: { chaosIndex: plan.index },
      ...(opts.webhookUrl ? { webhook: { url: opts.webhookUrl(plan.owner) } } : {}),
    });
    const out = await callWithRetries(
      () =>
        fetch(`${opts.apiUrl}/v1/tasks`, {
          method: 'POST',
          headers: headers(plan.owner, { 'idempotency-key': `chaos-${opts.seed}-${plan.index}` }),
          body,
        }),
      20,
    );
    plan.submitAttempts = out.tries;
    retries += out.tries - 1;
    if (out.res?.status !== 202) {
      plan.submitError = out.res ? `HTTP ${out.res.status} ${await out.res.text()}` : out.error;
      return;
    }
    plan.taskId = ((await out.res.json()) as { taskId: string }).taskId;
    if (plan.kind === 'cancel') cancels.push(cancel(plan));
  };
  const cancel = async (plan: TaskPlan) => {
    await sleep(plan.cancelAfterMs);
    const out = await callWithRetries(
      () =>
        fetch(`${opts.apiUrl}/v1/tasks/${plan.taskId}/cancel`, {
          method: 'POST',
          headers: headers(plan.owner),
        }),
      20,
    );
    retries += out.tries - 1;
    plan.cancelStatus = out.res?.status ?? 0;
  };
  const queue = [...opts.plans];
  const workers = Array.from({ length: opts.concurrency }, async () => {
    for (let plan = queue.shift(); plan; plan = queue.shift()) {
      await submit(plan);
      // Spread the submissions out a little, so faults meet tasks in every state.
      await sleep(20);
    }
  });
  const done = Promise.all(workers)
    .then(() => Promise.all(cancels))
    .then(() => undefined);
  return { done, apiRetries: () => retries };
}
