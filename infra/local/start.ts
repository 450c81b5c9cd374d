/**
 * `npm start`: the whole system on this machine, with no AWS account and no GPU. See USAGE in
 * start/options.ts and the README's "Quick start". Ctrl-C (SIGINT) or SIGTERM stops everything it
 * started; a second Ctrl-C kills what is left at once.
 */
// First: the functions' log level, before any module that builds their logger is evaluated.
import './start/log-level.js';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { banner } from './start/banner.js';
import { parseStartOptions, USAGE } from './start/options.js';
import { type LocalRuntime, startLocalRuntime } from './start/runtime.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const time = () => new Date().toISOString().slice(11, 19);
const log = {
  info: (line: string) => console.log(`${time()} ${line}`),
  error: (line: string, err?: unknown) =>
    console.error(
      `${time()} ERROR ${line}${err ? `: ${err instanceof Error ? err.message : String(err)}` : ''}`,
    ),
};

async function main() {
  // Before any AWS SDK client exists: the SDK warns about Node 20 on first use otherwise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let opts: ReturnType<typeof parseStartOptions>;
  try {
    opts = parseStartOptions(process.argv.slice(2), process.env, process.cwd());
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (opts === 'help') {
    console.log(USAGE);
    return;
  }
  let runtime: LocalRuntime | undefined;
  let starting: Promise<LocalRuntime | undefined> | undefined;
  let stopping = 0;
  const stateFile = join(opts.stateDir, 'runtime.json');
  const shutdown = async (signal: string) => {
    // Ctrl-C reaches npm and this process at once, and npm relays it again: only a signal well
    // after the first one is the user's second Ctrl-C. (`npm start` runs `node --import tsx`, not
    // the tsx command: that one SIGKILLs a child whose event loop is busy, e.g. importing the
    // functions, when it does not acknowledge a signal within 30 ms.)
    if (stopping && Date.now() - stopping < 1000) return;
    if (stopping) {
      log.info(`${signal} again: killing what is left`);
      process.exit(130); // DynamoDB Local dies with this process (its exit hook in emulators.ts)
    }
    stopping = Date.now();
    log.info(`${signal}: stopping...`);
    // A signal during start-up waits for it, so no emulator is left behind.
    const rt = runtime ?? (await starting);
    await rt?.stop();
    rmSync(stateFile, { force: true });
    log.info('stopped; nothing is left listening');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGHUP', () => void shutdown('SIGHUP'));

  starting = startLocalRuntime(opts, { root, env: { ...process.env }, log }).catch(
    (err: unknown) => {
      console.error(`\nnpm start failed: ${(err as Error).message}`);
      process.exit(1);
    },
  );
  runtime = await starting;
  if (!runtime || stopping) return;
  const keyFile = join(opts.stateDir, 'api-key');
  if (runtime.apiKey) {
    for (const file of [keyFile, ...(opts.dataDir ? [join(opts.dataDir, 'api-key')] : [])]) {
      writeFileSync(file, `${runtime.apiKey}\n`, { mode: 0o600 });
      chmodSync(file, 0o600);
    }
  }
  if (runtime.webhookSecret) {
    const secretFile = join(opts.stateDir, 'webhook-secret');
    writeFileSync(secretFile, `${runtime.webhookSecret}\n`, { mode: 0o600 });
    chmodSync(secretFile, 0o600);
  }
  writeFileSync(
    stateFile,
    `${JSON.stringify(
      {
        apiUrl: runtime.apiUrl,
        comfyUrl: runtime.comfy.url,
        pid: process.pid,
        // For `npm run fleet -- status`: where the registry and the backlog are.
        dynamodbEndpoint: runtime.dynamodbEndpoint,
        awsEndpoint: runtime.s3SqsEndpoint,
        tasksTable: runtime.names.tasksTable,
        queueUrl: runtime.names.queueUrl,
        ...(opts.fleet ? { fleet: opts.fleet } : {}),
      },
      null,
      2,
    )}\n`,
  );
  console.log(banner(runtime, opts, keyFile, performance.now()));
  log.info(`ready: ${runtime.apiUrl}`);
}

void main();
