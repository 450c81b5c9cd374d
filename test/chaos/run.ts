/**
 * `npm run chaos [-- --tasks 300 --seed 12345]`: starts DynamoDB Local and fauxqs, runs the chaos run
 * (harness.ts) and prints its report. The functions' logs are captured (not printed), written to
 * .local/chaos/logs-<seed>.jsonl and scanned for API keys, JWTs and presigned signatures. Exits 1 when
 * an invariant does not hold.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startDynamoLocal, startS3Sqs } from '../../infra/local/emulators.js';
import { findSecrets } from '../helpers/capture-output.js';
import { runChaos } from './harness.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) ? v : fallback;
}

const tasks = arg('tasks', 300);
const seed = arg('seed', Number(process.env.CHAOS_SEED) || Date.now() % 1_000_000);
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const print = process.stdout.write.bind(process.stdout);
const say = (line: string) => print(`${line}\n`);

say(
  `chaos: ${tasks} tasks, seed ${seed} (repeat with: npm run chaos -- --tasks ${tasks} --seed ${seed})`,
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
