/**
 * What a client waiting by long polling costs: `clients` clients loop on
 * `GET /v1/tasks/{id}?wait=20&since=V` for `seconds` on a task that keeps running and does not change
 * (the stand-in holds its run), each passing the version of its previous answer, as docs/webhooks.md
 * shows. Everything the system did meanwhile is metered: status invocations and their duration, and
 * the AWS requests made inside them (the authorizer's cached verdicts cost nothing more). Reported per
 * waiting client-minute, and the client-hour at list prices (lib/prices.ts).
 */
import type { StandInControl } from '../../infra/local/comfy-standin/index.js';
import type { TaskView } from '../lib/api-client.js';
import { type Figure, figure, missing, round } from '../lib/figure.js';
import { PRICE_SOURCE } from '../lib/prices.js';
import type { BenchSystem } from '../lib/system.js';
import { costOf, requestsByOperation, splitUsage, totalRequests } from '../lib/usage.js';
import { imageWorkflow } from '../lib/workflows.js';

const WAIT_SECONDS = 20;

export async function longPollFigures(
  system: BenchSystem,
  opts: { clients: number; seconds: number; log: (line: string) => void },
): Promise<Figure[]> {
  const metrics = ['long_poll_requests_per_client_minute', 'long_poll_usd_per_client_hour'];
  const standIn: StandInControl | undefined = system.standIn;
  if (!standIn)
    return metrics.map((m) => missing(m, '', 'needs the stand-in (a run held for minutes)'));
  const key = system.keys[0] as string;
  // Every run from now on is held for minutes (the push run is over).
  standIn.setExecutionMs((opts.seconds + 120) * 1000);
  const submitted = await system.api.submit(key, { workflow: imageWorkflow('longpoll', 0) });
  const taskId = submitted.body.taskId;
  if (!taskId) return metrics.map((m) => missing(m, '', `submit answered ${submitted.status}`));
  // Wait until it runs and its version settles (the start writes it, then no more writes come).
  let view: TaskView | undefined;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    view = (await system.api.get(key, taskId)).body;
    if (view.status === 'running') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (view?.status !== 'running')
    return metrics.map((m) => missing(m, '', `the task did not run (${view?.status})`));
  await new Promise((r) => setTimeout(r, 3000));
  view = (await system.api.get(key, taskId)).body;

  system.meter.reset();
  const started = Date.now();
  const end = started + opts.seconds * 1000;
  let calls = 0;
  let early = 0;
  await Promise.all(
    Array.from({ length: opts.clients }, async () => {
      let since = view?.version;
      while (Date.now() < end) {
        const call = await system.api.waitFor(key, taskId, WAIT_SECONDS, since);
        calls++;
        if (call.ms < WAIT_SECONDS * 1000 - 1000) early++;
        since = call.body.version;
      }
    }),
  );
  const minutes = ((Date.now() - started) / 60_000) * opts.clients;
  const usage = system.meter.snapshot();
  // Only the status function and the authorizer serve these calls; anything else (the poller
  // watching the held run) is not the waiting clients' cost.
  const { moved: waiting } = splitUsage(
    usage,
    (scope) => (scope === 'status' || scope === 'authorizer' ? 1 : 0),
    { kept: 0, moved: calls },
  );
  const statusInvocations = waiting.invocations.find((i) => i.functionName === 'status');
  const perMinute = (n: number) => round(n / minutes, 3);
  const cost = costOf(waiting);
  opts.log(`${calls} long polls by ${opts.clients} clients in ${opts.seconds} s`);
  const details = {
    clients: opts.clients,
    seconds: opts.seconds,
    wait_seconds: WAIT_SECONDS,
    calls_per_client_minute: perMinute(calls),
    answered_early: early,
    by_operation_per_client_minute: Object.fromEntries(
      Object.entries(requestsByOperation(waiting.requests)).map(([k, v]) => [k, perMinute(v)]),
    ),
    status_invocations_per_client_minute: perMinute(statusInvocations?.count ?? 0),
    status_seconds_per_client_minute: perMinute((statusInvocations?.ms ?? 0) / 1000),
    note: 'a running task that does not change; deployed, the status function is billed for its whole wait',
  };
  return [
    figure(
      'long_poll_requests_per_client_minute',
      totalRequests(waiting.requests) / minutes,
      'requests',
      undefined,
      details,
    ),
    figure('long_poll_usd_per_client_hour', (cost.total / minutes) * 60, 'USD', undefined, {
      lambda: round((cost.lambda / minutes) * 60, 3),
      dynamodb: round((cost.dynamodb / minutes) * 60, 3),
      http_api: round((cost.httpApi / minutes) * 60, 3),
      prices: PRICE_SOURCE,
    }),
  ];
}
