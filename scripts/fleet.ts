/**
 * `npm run fleet -- status [--json]`: the GPU fleet's registry (servers, states, prompts in flight),
 * the backlog, and the capacity the controller wants and why.
 *
 * Target: the local stack that `npm start -- --max-gpus N` runs (read from .local/runtime.json); a
 * deployed stack when TASKS_TABLE_NAME and DISPATCH_QUEUE_URL are set (with the usual AWS
 * credentials, and the deployment's FLEET_* settings for the "wanted" figure).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { AwsBacklogCounter } from '../shared/adapters/aws/backlog-counter.js';
import { createAwsClients } from '../shared/adapters/aws/clients.js';
import { DynamoFleetRegistry } from '../shared/adapters/dynamodb/fleet-registry.js';
import { ConfigSchema } from '../shared/config.js';
import type { CapacitySettings } from '../shared/fleet/capacity.js';
import { fleetSettingsFromConfig } from '../shared/fleet/settings.js';
import { fleetStatus, formatFleetStatus } from '../shared/fleet/status.js';
import { systemClock } from '../shared/ports/clock.js';

export const USAGE = `Usage: npm run fleet -- status [--json]

  status     the fleet's servers (id, state, address, prompts in flight), the backlog, and the
             GPUs the controller wants for it and why
  --json     print {"servers":[{"id","state","url","inFlight"}],"desired":N,"live":N,"backlog":{...},"demand":N,"why":[...]}
  -h, --help this text

Reads the local stack of \`npm start -- --max-gpus N\` (.local/runtime.json; LOCAL_STATE_DIR for
another --state-dir), or a deployed stack when TASKS_TABLE_NAME and DISPATCH_QUEUE_URL are set.
`;

interface Target {
  tableName: string;
  queueUrl: string;
  region: string;
  dynamodbEndpoint?: string;
  awsEndpoint?: string;
  settings: CapacitySettings;
}

function targetFrom(env: Record<string, string | undefined>, cwd: string): Target {
  const settings = fleetSettingsFromConfig(
    ConfigSchema.parse({
      TASKS_TABLE_NAME: 'x',
      API_KEYS_TABLE_NAME: 'x',
      OUTPUTS_BUCKET_NAME: 'x',
      DISPATCH_QUEUE_URL: 'x',
      ...env,
    }),
  );
  if (env.TASKS_TABLE_NAME && env.DISPATCH_QUEUE_URL) {
    return {
      tableName: env.TASKS_TABLE_NAME,
      queueUrl: env.DISPATCH_QUEUE_URL,
      region: env.AWS_REGION ?? 'us-east-1',
      settings,
    };
  }
  // npm start writes runtime.json into its state folder (--state-dir / LOCAL_STATE_DIR, default .local).
  const file = join(resolve(cwd, env.LOCAL_STATE_DIR ?? '.local'), 'runtime.json');
  if (!existsSync(file)) {
    throw new Error(
      `No local stack found (${file}): run \`npm start -- --max-gpus 3\`, or set TASKS_TABLE_NAME and DISPATCH_QUEUE_URL for a deployed stack.`,
    );
  }
  const rt = JSON.parse(readFileSync(file, 'utf8')) as {
    dynamodbEndpoint: string;
    awsEndpoint: string;
    tasksTable: string;
    queueUrl: string;
    fleet?: { minGpus: number; maxGpus: number; idleMs: number; bootMs: number };
  };
  return {
    tableName: rt.tasksTable,
    queueUrl: rt.queueUrl,
    region: 'us-east-1',
    dynamodbEndpoint: rt.dynamodbEndpoint,
    awsEndpoint: rt.awsEndpoint,
    settings: rt.fleet
      ? {
          ...settings,
          minGpus: rt.fleet.minGpus,
          maxGpus: rt.fleet.maxGpus,
          idleMs: rt.fleet.idleMs,
          startMs: rt.fleet.bootMs,
        }
      : settings,
  };
}

export async function main(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  cwd: string,
  out: (s: string) => void,
): Promise<number> {
  let values: { json?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    out(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    out(USAGE);
    return 0;
  }
  if (positionals[0] !== 'status' || positionals.length > 1) {
    out(`Unknown command: ${positionals.join(' ') || '(none)'}\n\n${USAGE}`);
    return 2;
  }
  const t = targetFrom(env, cwd);
  if (t.dynamodbEndpoint) {
    env.AWS_ACCESS_KEY_ID ??= 'local';
    env.AWS_SECRET_ACCESS_KEY ??= 'local';
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
    });
  }
  const clients = createAwsClients({
    region: t.region,
    ...(t.dynamodbEndpoint ? { dynamodbEndpoint: t.dynamodbEndpoint } : {}),
    ...(t.awsEndpoint ? { sqsEndpoint: t.awsEndpoint, s3Endpoint: t.awsEndpoint } : {}),
  });
  try {
    const registry = new DynamoFleetRegistry({
      doc: clients.doc,
      tableName: t.tableName,
      clock: systemClock,
    });
    const counter = new AwsBacklogCounter({
      sqs: clients.sqs,
      queueUrl: t.queueUrl,
      doc: clients.doc,
      tableName: t.tableName,
    });
    const [servers, backlog] = await Promise.all([registry.list(), counter.backlog()]);
    const status = fleetStatus(servers, backlog, t.settings, systemClock.now());
    out(values.json ? JSON.stringify(status, null, 2) : formatFleetStatus(status));
    return 0;
  } finally {
    clients.dynamodb.destroy();
    clients.sqs.destroy();
    clients.s3.destroy();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  main(process.argv.slice(2), { ...process.env }, process.cwd(), (s) => console.log(s)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}
