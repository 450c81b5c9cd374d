/**
 * Child process of figure 6 (copy.ts starts it): the functions a task passes through (submit, status,
 * dispatcher, poller) run here, exactly as the local runtime runs them, against the emulators and the
 * stand-in in the parent process, so this process's RSS is the functions' own. It copies one warm-up
 * output, then the large one, sampling RSS every 10 ms (and reading the kernel's peak, VmHWM, reset
 * before the copy), and prints one JSON line with the result.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { SQSClient } from '@aws-sdk/client-sqs';
import { API_ROUTES, manifestOf } from '../../functions/manifests.js';
import { startApiServer } from '../../infra/local/api-server.js';
import type { LocalResourceNames } from '../../infra/local/bootstrap.js';
import { loadFunction } from '../../infra/local/runtime/functions.js';
import type { LocalFunction } from '../../infra/local/runtime/invoke.js';
import { startSchedule } from '../../infra/local/schedule.js';
import { startSqsEventSource } from '../../infra/local/sqs-event-source.js';
import { functionEnvironment } from '../../infra/local/start/function-env.js';
import { observeAwsClients } from '../../shared/adapters/aws/clients.js';
import { isTerminal, TaskApiClient, type TaskView } from '../lib/api-client.js';
import { REPO_ROOT } from '../lib/paths.js';
import { largeOutputWorkflow } from '../lib/workflows.js';

export interface CopyProbeInput {
  names: LocalResourceNames;
  dynamodbEndpoint: string;
  s3SqsEndpoint: string;
  comfyUrl: string;
  region: string;
  bytes: number;
  warmupBytes: number;
}

export interface CopyProbeResult {
  status: string;
  errorCode?: string;
  bytes: number;
  /** First S3 write of the output to the multipart completion (or the single PUT). */
  copyMs: number;
  s3Requests: Record<string, number>;
  baselineRssBytes: number;
  peakSampledRssBytes: number;
  /** The kernel's peak RSS since reset just before the copy; undefined when not readable. */
  peakHwmRssBytes?: number;
  samples: number;
}

const input = JSON.parse(process.env.BENCH_COPY_INPUT ?? '{}') as CopyProbeInput;
Object.assign(
  process.env,
  functionEnvironment({
    names: input.names,
    dynamodbEndpoint: input.dynamodbEndpoint,
    s3SqsEndpoint: input.s3SqsEndpoint,
    comfyUrls: [input.comfyUrl],
    region: input.region,
    env: process.env,
  }),
);

// Times the output's upload from the S3 requests the poller makes.
const S3_WRITES = new Set([
  'PutObject',
  'CreateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
]);
let copy = { first: 0, last: 0, ops: {} as Record<string, number> };
type Next = (args: unknown) => Promise<unknown>;
observeAwsClients((clients) => {
  if (!clients.s3) return;
  const add = clients.s3.middlewareStack.add.bind(clients.s3.middlewareStack) as unknown as (
    mw: (next: Next, ctx: { commandName?: string }) => Next,
    o: { step: 'initialize'; name: string; override: boolean },
  ) => void;
  add(
    (next, ctx) => async (args) => {
      const op = (ctx.commandName ?? '').replace(/Command$/, '');
      if (S3_WRITES.has(op) && copy.first === 0) copy.first = performance.now();
      const out = await next(args);
      // Presigning a GET link (status) passes here too but sends nothing.
      if (op !== 'GetObject') copy.ops[op] = (copy.ops[op] ?? 0) + 1;
      if (op === 'CompleteMultipartUpload' || op === 'PutObject') copy.last = performance.now();
      return out;
    },
    { step: 'initialize', name: 'benchCopyTiming', override: true },
  );
});

const rss = () => process.memoryUsage.rss();
const hwm = (): number | undefined => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : undefined;
};
const resetHwm = (): boolean => {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
};
const gc = () => (globalThis as { gc?: () => void }).gc?.();

async function main() {
  const functions = new Map<string, LocalFunction>();
  for (const name of ['submit', 'status', 'dispatcher', 'poller']) {
    const fn = await loadFunction(REPO_ROOT, manifestOf(name));
    if (!fn) throw new Error(`functions/${name}/index.ts is missing`);
    functions.set(name, fn);
  }
  const server = await startApiServer({
    port: 0,
    routes: API_ROUTES,
    functions,
    authorizer: {
      authorize: async () => ({ allowed: true, authorizer: { lambda: { owner: 'bench-copy' } } }),
    },
  });
  const sqs = new SQSClient({
    region: input.region,
    endpoint: input.s3SqsEndpoint,
    useQueueUrlAsEndpoint: false,
  });
  const events = startSqsEventSource({
    sqs,
    queueUrl: input.names.queueUrl,
    queueArn: input.names.queueArn,
    fn: functions.get('dispatcher') as LocalFunction,
    region: input.region,
    waitTimeSeconds: 1,
  });
  const poller = startSchedule({
    fn: functions.get('poller') as LocalFunction,
    region: input.region,
    repeatAfterMs: 200,
  });
  const api = new TaskApiClient(server.url, { connections: 2 });

  const runOne = async (bytes: number): Promise<TaskView> => {
    const call = await api.submit('bench', {
      workflow: largeOutputWorkflow(`copy-${bytes}`, bytes),
    });
    const taskId = call.body.taskId;
    if (call.status !== 202 || !taskId) throw new Error(`submit answered ${call.status}`);
    for (;;) {
      await new Promise((r) => setTimeout(r, 200));
      const view = (await api.get('bench', taskId)).body;
      if (isTerminal(view)) return view;
    }
  };

  await runOne(input.warmupBytes);
  gc();
  gc();
  await new Promise((r) => setTimeout(r, 1000));
  gc();
  copy = { first: 0, last: 0, ops: {} };
  const baseline = rss();
  const hwmReset = resetHwm();
  let peak = baseline;
  let samples = 0;
  const sampler = setInterval(() => {
    samples++;
    peak = Math.max(peak, rss());
  }, 10);
  const view = await runOne(input.bytes);
  clearInterval(sampler);
  peak = Math.max(peak, rss());
  const peakHwm = hwmReset ? hwm() : undefined;

  const result: CopyProbeResult = {
    status: view.status,
    ...(view.error ? { errorCode: view.error.code } : {}),
    bytes: input.bytes,
    copyMs: copy.last - copy.first,
    s3Requests: copy.ops,
    baselineRssBytes: baseline,
    peakSampledRssBytes: peak,
    ...(peakHwm !== undefined ? { peakHwmRssBytes: peakHwm } : {}),
    samples,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await poller.stop(5000);
  await events.stop(2000);
  await api.close();
  await server.close();
  sqs.destroy();
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`copy probe failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
