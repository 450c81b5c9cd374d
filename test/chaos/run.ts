/**
 * `npm run chaos [-- --tasks 300 --seed 12345] [--fleet --max-gpus 3]`: starts DynamoDB Local and fauxqs, runs the chaos run
 * (harness.ts) and prints its report. The functions' logs are captured (not printed), written to
 * .local/chaos/logs-<seed>.jsonl and scanned for API keys, JWTs and presigned signatures. Exits 1 when
 * an invariant does not hold.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startDynamoLocal, startS3Sqs } from '../../infra/local/emulators.js';
import { findSecrets } from '../helpers/capture-output.js';
import { runChaos } from './harness.js';

const USAGE = `Usage: npm run chaos -- [options]

Runs tasks through the local runtime while faults are injected, then checks that every task ended,
no task is still queued or active, no output was lost, duplicated or mixed up, and no prompt ran
twice except after a restart lost its first run. Exits 1 when one of those does not hold.

  --tasks N          tasks to run (default 300)
  --seed S           the seed of the faults' schedule (default: CHAOS_SEED, else a random one)
  --chaos-seconds N  keep injecting faults at least this long (default 20)
  --drain-seconds N  wait this long for every task to end (default 180)

  --fleet            ComfyUI as a local GPU fleet that follows the queue (the controller of
                     \`npm start -- --max-gpus N\`), servers killed at random, scale-in during the run;
                     also checks that no busy server was stopped and the fleet scales back in
  --min-gpus N       the fleet's minimum (default 0)
  --max-gpus N       the fleet's maximum (default 3)
  --gpu-boot-ms N    a server's boot time (default 1500)
  --gpu-idle-ms N    an idle server is stopped after this long (default 2000)
  --kill-every-seconds N  mean time between two servers killed (default 6)
  --warm-pool        stopped servers go back into a pool and start again under the same name and
                     address (an Auto Scaling warm pool with reuse on scale-in)
  --hang-every-seconds N  mean time between two servers made to hang (their ComfyUI never answers,
                     the process runs on; the controller must replace them; default: none)
  --idle-follows-demand  a server that recent demand would not bring a prompt within a boot stops
                     as soon as it is empty (the stack's gpuIdleFollowsDemand)
  -h, --help         this text
`;

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      tasks: { type: 'string' },
      seed: { type: 'string' },
      'chaos-seconds': { type: 'string' },
      'drain-seconds': { type: 'string' },
      fleet: { type: 'boolean' },
      'min-gpus': { type: 'string' },
      'max-gpus': { type: 'string' },
      'gpu-boot-ms': { type: 'string' },
      'gpu-idle-ms': { type: 'string' },
      'kill-every-seconds': { type: 'string' },
      'hang-every-seconds': { type: 'string' },
      'warm-pool': { type: 'boolean' },
      'idle-follows-demand': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (err) {
  process.stderr.write(`error: ${(err as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

function arg(name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) {
    process.stderr.write(`error: --${name} must be a number, got ${String(raw)}\n`);
    process.exit(2);
  }
  return v;
}

const tasks = arg('tasks', 300);
const fleetFlags = [
  'min-gpus',
  'max-gpus',
  'gpu-boot-ms',
  'gpu-idle-ms',
  'kill-every-seconds',
  'hang-every-seconds',
];
const stray = [...fleetFlags, 'warm-pool', 'idle-follows-demand'].find(
  (f) => values[f] !== undefined,
);
if (!values.fleet && stray) {
  process.stderr.write(`error: --${stray} needs --fleet\n`);
  process.exit(2);
}
const fleet = values.fleet
  ? {
      minGpus: arg('min-gpus', 0),
      maxGpus: arg('max-gpus', 3),
      bootMs: arg('gpu-boot-ms', 1500),
      idleMs: arg('gpu-idle-ms', 2000),
      killEveryMs: arg('kill-every-seconds', 6) * 1000,
      ...(values['hang-every-seconds'] !== undefined
        ? { hangEveryMs: arg('hang-every-seconds', 0) * 1000 }
        : {}),
      warmPool: values['warm-pool'] === true,
      idleFollowsDemand: values['idle-follows-demand'] === true,
    }
  : undefined;
if (fleet && (fleet.maxGpus < 1 || fleet.minGpus > fleet.maxGpus)) {
  process.stderr.write('error: --max-gpus must be at least 1 and at least --min-gpus\n');
  process.exit(2);
}
const seed = arg('seed', Number(process.env.CHAOS_SEED) || Date.now() % 1_000_000);
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const print = process.stdout.write.bind(process.stdout);
const say = (line: string) => print(`${line}\n`);

const fleetArgs = fleet
  ? ` --fleet --min-gpus ${fleet.minGpus} --max-gpus ${fleet.maxGpus} --gpu-boot-ms ${fleet.bootMs} --gpu-idle-ms ${fleet.idleMs} --kill-every-seconds ${fleet.killEveryMs / 1000}${fleet.warmPool ? ' --warm-pool' : ''}${fleet.idleFollowsDemand ? ' --idle-follows-demand' : ''}${fleet.hangEveryMs ? ` --hang-every-seconds ${fleet.hangEveryMs / 1000}` : ''}`
  : '';
say(
  `chaos: ${tasks} tasks, seed ${seed}${fleet ? `, GPU fleet ${fleet.minGpus} to ${fleet.maxGpus}` : ''} (repeat with: npm run chaos -- --tasks ${tasks} --seed ${seed}${fleetArgs})`,
);
const [ddb, fauxqs] = await Promise.all([startDynamoLocal(), startS3Sqs()]);
let exitCode = 1;
try {
  const result = await runChaos({
    tasks,
    seed,
    endpoints: { dynamodb: ddb.endpoint, s3sqs: fauxqs.endpoint },
    minChaosMs: arg('chaos-seconds', 20) * 1000,
    drainTimeoutMs: arg('drain-seconds', 180) * 1000,
    progress: say,
    ...(fleet ? { fleet } : {}),
  });
  const { logs } = result;
  const dir = resolve(import.meta.dirname, '..', '..', '.local', 'chaos');
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, `logs-${seed}.jsonl`);
  writeFileSync(logFile, logs);
  const secrets = findSecrets(logs);
  say('');
  say(result.text);
  say('');
  say(
    `logs: ${logs.split('\n').filter(Boolean).length} lines in ${logFile}; secrets found in them: ${secrets.length}`,
  );
  for (const s of secrets.slice(0, 5)) say(`  - ${s}`);
  exitCode = result.report.violations.length === 0 && secrets.length === 0 ? 0 : 1;
} catch (err) {
  say(`chaos run failed: ${err instanceof Error ? err.stack : String(err)}`);
} finally {
  await Promise.all([ddb.stop(), fauxqs.stop()]);
}
process.exit(exitCode);
