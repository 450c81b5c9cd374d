/**
 * `npm run keys -- create --owner alice [--label laptop]` prints a new API key once;
 * `npm run keys -- revoke <keyId>`; `npm run keys -- list [--owner alice]`;
 * `npm run keys -- set-limits --owner alice [--steps 300] [--pixels N] [--batch N] [--frames N]
 * [--nodes N] [--upscale X] | --clear` (the owner's own resource limits; unset ones keep the
 * deployment's); `npm run keys -- webhook-secret create|rotate --owner alice [--overlap-hours 24]`
 * (the owner's webhook signing secret, printed once; `create` makes one with the owner's first key).
 *
 * Target: the local stack by default (DynamoDB Local on 127.0.0.1:$LOCAL_DYNAMODB_PORT or 8000, table
 * comfy-serverless-api-keys, as `npm start` creates them); a deployed stack when a table name is given
 * (`--table` or API_KEYS_TABLE_NAME), with the usual AWS credentials.
 * `--endpoint` / AWS_ENDPOINT_URL_DYNAMODB point at any other DynamoDB. The logic is in
 * shared/auth/key-admin.ts.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createAwsClients } from '../shared/adapters/aws/clients.js';
import { DynamoApiKeyStore } from '../shared/adapters/dynamodb/api-key-store.js';
import { DynamoWebhookSecretStore } from '../shared/adapters/dynamodb/webhook-secret-store.js';
import { createKey, listKeys, revokeKey, setOwnerLimits } from '../shared/auth/key-admin.js';
import { ensureWebhookSecret, rotateWebhookSecret } from '../shared/auth/webhook-secret-admin.js';
import { DomainError } from '../shared/domain/errors.js';
import { systemClock } from '../shared/ports/clock.js';
import type { ApiKeyStore } from '../shared/ports/key-store.js';
import type { WebhookSecretStore } from '../shared/ports/webhook-secrets.js';
import { API_KEYS_TABLE } from '../shared/resources.js';

export const USAGE = `Usage: npm run keys -- <command> [options]

Commands:
  create --owner OWNER [--label TEXT]   a new API key for OWNER, printed once (only its hash is stored)
  revoke KEY_ID                         revoke a key by its keyId (exit 1 when there is no such key)
  list [--owner OWNER]                  keys with their keyId, owner, creation, revocation, limits
  set-limits --owner OWNER [--steps N] [--pixels N] [--batch N] [--frames N] [--nodes N]
             [--upscale X] | --clear    the owner's own resource limits (on every key of OWNER);
                                        limits not given keep the deployment's (WORKFLOW_MAX_*)
  webhook-secret create --owner OWNER   OWNER's webhook signing secret (whsec_...), printed once;
                                        \`create\` of OWNER's first key makes one too
  webhook-secret rotate --owner OWNER [--overlap-hours N]
                                        a new secret; deliveries carry signatures of both the new
                                        and the old one for N hours (default 24)

Options:
  --table NAME     the API keys table of a deployed stack (API_KEYS_TABLE_NAME; default: the local
                   stack's ${API_KEYS_TABLE.localName})
  --endpoint URL   another DynamoDB (AWS_ENDPOINT_URL_DYNAMODB; default for the local stack:
                   http://127.0.0.1:8000, or LOCAL_DYNAMODB_PORT)
  --region REGION  (AWS_REGION; default us-east-1)
  --json           print JSON instead of text
  -h, --help       this text`;

export interface KeysTarget {
  table: string;
  region: string;
  endpoint?: string;
  local: boolean;
}

type Env = Record<string, string | undefined>;
const LIMIT_FLAGS = ['nodes', 'pixels', 'batch', 'steps', 'frames', 'upscale'] as const;

/** Which table (and DynamoDB) the command talks to. */
export function resolveTarget(
  flags: { table?: string; endpoint?: string; region?: string },
  env: Env,
): KeysTarget {
  const region = flags.region ?? env.AWS_REGION ?? 'us-east-1';
  const table = flags.table ?? env.API_KEYS_TABLE_NAME;
  const endpoint = flags.endpoint ?? env.AWS_ENDPOINT_URL_DYNAMODB;
  if (table) return { table, region, local: false, ...(endpoint ? { endpoint } : {}) };
  const port = env.LOCAL_DYNAMODB_PORT ?? '8000';
  return {
    table: API_KEYS_TABLE.localName,
    region,
    endpoint: endpoint ?? `http://127.0.0.1:${port}`,
    local: true,
  };
}

export async function runKeys(
  argv: string[],
  env: Env,
  out: (line: string) => void,
  store?: ApiKeyStore,
  secretStore?: WebhookSecretStore,
): Promise<number> {
  let parsed: ReturnType<typeof parseKeysArgs>;
  try {
    parsed = parseKeysArgs(argv);
  } catch (err) {
    out(`error: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(USAGE);
    return 0;
  }
  const [command, arg] = positionals;
  const stores = store
    ? { keys: store, secrets: secretStore }
    : storesFor(resolveTarget(values, env));
  const { keys, secrets } = stores;
  const deps = { keys, clock: systemClock };
  const print = (value: unknown, text: string) => out(values.json ? JSON.stringify(value) : text);
  switch (command) {
    case 'create': {
      if (!values.owner) {
        out('error: create needs --owner OWNER\n');
        break;
      }
      const created = await createKey(deps, values.owner, values.label);
      const secret = secrets
        ? await ensureWebhookSecret({ secrets, clock: systemClock }, values.owner)
        : undefined;
      print(
        { ...created, ...(secret?.created ? { webhookSecret: secret.secret } : {}) },
        `API key for ${created.owner} (keyId ${created.keyId}); it is shown only this once:\n${created.key}${
          secret?.created
            ? `\nWebhook signing secret of ${created.owner}, also shown only this once (rotate with webhook-secret rotate):\n${secret.secret}`
            : ''
        }`,
      );
      return 0;
    }
    case 'webhook-secret': {
      if (!values.owner || (arg !== 'create' && arg !== 'rotate') || !secrets) {
        out('error: webhook-secret needs create or rotate, and --owner OWNER\n');
        break;
      }
      const admin = { secrets, clock: systemClock };
      if (arg === 'create') {
        const s = await ensureWebhookSecret(admin, values.owner);
        print(
          { owner: values.owner, created: s.created, ...(s.created ? { secret: s.secret } : {}) },
          s.created
            ? `Webhook signing secret of ${values.owner}; it is shown only this once:\n${s.secret}`
            : `${values.owner} already has a webhook signing secret (rotate gives a new one)`,
        );
        return s.created ? 0 : 1;
      }
      const hours = values['overlap-hours'] === undefined ? 24 : Number(values['overlap-hours']);
      if (!Number.isFinite(hours) || hours < 0) {
        out('error: --overlap-hours must be a number of hours, 0 or more\n');
        break;
      }
      const r = await rotateWebhookSecret(admin, values.owner, hours);
      print(
        {
          owner: values.owner,
          secret: r.secret,
          ...(r.previousUntil ? { previousUntil: r.previousUntil } : {}),
        },
        `New webhook signing secret of ${values.owner}; it is shown only this once:\n${r.secret}${
          r.previousUntil
            ? `\nThe previous secret also signs deliveries until ${r.previousUntil}.`
            : ''
        }`,
      );
      return 0;
    }
    case 'revoke': {
      if (!arg) {
        out('error: revoke needs the keyId (see: list)\n');
        break;
      }
      const found = await revokeKey(deps, arg);
      print({ keyId: arg, revoked: found }, found ? `revoked ${arg}` : `no key ${arg}`);
      return found ? 0 : 1;
    }
    case 'set-limits': {
      const given = values as Record<string, unknown>;
      const limits: Record<string, number> = {};
      for (const f of LIMIT_FLAGS) {
        if (typeof given[f] === 'string') limits[f] = Number(given[f]);
      }
      if (!values.owner || (!values.clear && Object.keys(limits).length === 0)) {
        out('error: set-limits needs --owner OWNER and at least one limit (or --clear)\n');
        break;
      }
      const changed = await setOwnerLimits(deps, values.owner, values.clear ? undefined : limits);
      print(
        { owner: values.owner, limits: values.clear ? null : limits, keys: changed },
        changed === 0
          ? `no keys for ${values.owner}: create one first`
          : `${values.clear ? 'cleared the limits of' : `set ${JSON.stringify(limits)} on`} ${changed} key(s) of ${values.owner}`,
      );
      return changed === 0 ? 1 : 0;
    }
    case 'list': {
      const list = await listKeys(deps, values.owner);
      const lines = list.map(
        (k) =>
          `${k.keyId}  ${k.owner}  created ${k.createdAt}${k.revokedAt ? `  REVOKED ${k.revokedAt}` : ''}${k.label ? `  ${k.label}` : ''}${k.limits ? `  limits ${JSON.stringify(k.limits)}` : ''}`,
      );
      print(list, lines.length ? lines.join('\n') : 'no keys');
      return 0;
    }
  }
  out(USAGE);
  return 2;
}

function parseKeysArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      owner: { type: 'string' },
      label: { type: 'string' },
      table: { type: 'string' },
      endpoint: { type: 'string' },
      region: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      clear: { type: 'boolean' },
      'overlap-hours': { type: 'string' },
      ...Object.fromEntries(LIMIT_FLAGS.map((f) => [f, { type: 'string' as const }])),
    },
  });
}

function storesFor(target: KeysTarget): { keys: ApiKeyStore; secrets: WebhookSecretStore } {
  if (target.local) {
    // DynamoDB Local accepts any credentials; provide some when none are configured.
    process.env.AWS_ACCESS_KEY_ID ??= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  }
  const clients = createAwsClients({
    region: target.region,
    ...(target.endpoint ? { dynamodbEndpoint: target.endpoint } : {}),
  });
  return {
    keys: new DynamoApiKeyStore({ client: clients.doc, tableName: target.table }),
    secrets: new DynamoWebhookSecretStore({ client: clients.doc, tableName: target.table }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  runKeys(process.argv.slice(2), process.env, (line) => console.log(line)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof DomainError ? err.message : err);
      const t = resolveTarget({}, process.env);
      console.error(
        t.local
          ? `(local stack: table ${t.table} at ${t.endpoint}; is \`npm start\` running? For a deployed stack pass --table)`
          : `(table ${t.table} in ${t.region})`,
      );
      process.exit(1);
    },
  );
}
