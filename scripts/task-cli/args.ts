/**
 * Command line of `npm run task -- <command> ...`, and where the API URL and key come from: flags,
 * then COMFY_API_URL / COMFY_API_KEY / COMFY_API_TOKEN, then what `npm start` wrote to .local/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

export const USAGE = `Usage: npm run task -- <command> [options]

Commands:
  submit [workflow.json]       submit a workflow (API format, as ComfyUI's "Save (API)" writes it)
      --template NAME          ...or a template (see: templates)
      --param key=value        a template parameter (repeatable; JSON values such as 20 or true are
                               sent as JSON, anything else as a string)
      --metadata JSON          a small JSON object echoed back with the task
      --idempotency-key KEY    the same key and body never create a second task
      --wait                   follow the task to its end (progress bar on a terminal)
      --out DIR                with --wait: download the outputs into DIR
  status TASK_ID [--wait] [--out DIR]
  list [--status STATUS] [--limit N] [--cursor C]
                               your tasks, newest first; --cursor continues a long list
  cancel TASK_ID
  templates                    each template's parameters, types and defaults (--json: the
                               full JSON Schema)

Options for every command:
  --api URL        the API (COMFY_API_URL; default: .local/runtime.json from npm start, or
                   http://127.0.0.1:3000)
  --key KEY        API key (COMFY_API_KEY; default: .local/api-key from npm start)
  --token JWT      bearer token instead of a key (COMFY_API_TOKEN)
  --interval MS    poll interval with --wait (default 1000)
  --json           print the API's JSON instead of text
  -h, --help       this text

Exit codes: 0 done, 1 the task failed or was cancelled, 2 bad usage, 3 the API refused the
request or could not be reached.
`;

export interface CliArgs {
  command: string;
  positional: string[];
  apiUrl: string;
  apiKey?: string;
  token?: string;
  template?: string;
  params: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  idempotencyKey?: string;
  wait: boolean;
  out?: string;
  status?: string;
  limit?: number;
  cursor?: string;
  intervalMs: number;
  json: boolean;
}

export class UsageError extends Error {}
/** `--help` (or `-h`): print USAGE and exit 0. */
export class HelpRequested extends Error {}

export function parseParam(raw: string): [string, unknown] {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new UsageError(`--param wants key=value, got ${JSON.stringify(raw)}`);
  const key = raw.slice(0, eq);
  const text = raw.slice(eq + 1);
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'string' || text.startsWith('"')) return [key, v];
  } catch {
    // not JSON: a plain string
  }
  return [key, text];
}

const readIf = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined);

export function parseCliArgs(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  cwd: string,
): CliArgs {
  let parsed: ReturnType<typeof parse>;
  const parse = () =>
    parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        api: { type: 'string' },
        key: { type: 'string' },
        token: { type: 'string' },
        template: { type: 'string' },
        param: { type: 'string', multiple: true },
        metadata: { type: 'string' },
        'idempotency-key': { type: 'string' },
        wait: { type: 'boolean' },
        out: { type: 'string' },
        status: { type: 'string' },
        limit: { type: 'string' },
        cursor: { type: 'string' },
        interval: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  try {
    parsed = parse();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, ...positional] = positionals;
  if (values.help) throw new HelpRequested();
  if (!command) throw new UsageError('');
  const local = join(cwd, '.local');
  let runtimeUrl: string | undefined;
  try {
    runtimeUrl = (JSON.parse(readIf(join(local, 'runtime.json')) ?? '{}') as { apiUrl?: string })
      .apiUrl;
  } catch {
    runtimeUrl = undefined;
  }
  let metadata: Record<string, unknown> | undefined;
  if (values.metadata) {
    try {
      metadata = JSON.parse(values.metadata) as Record<string, unknown>;
    } catch {
      throw new UsageError('--metadata must be a JSON object');
    }
  }
  const token = values.token ?? env.COMFY_API_TOKEN;
  const apiKey =
    values.key ?? env.COMFY_API_KEY ?? (token ? undefined : readIf(join(local, 'api-key')));
  return {
    command,
    positional,
    apiUrl: values.api ?? env.COMFY_API_URL ?? runtimeUrl ?? 'http://127.0.0.1:3000',
    ...(apiKey ? { apiKey } : {}),
    ...(token ? { token } : {}),
    ...(values.template ? { template: values.template } : {}),
    params: Object.fromEntries((values.param ?? []).map(parseParam)),
    ...(metadata ? { metadata } : {}),
    ...(values['idempotency-key'] ? { idempotencyKey: values['idempotency-key'] } : {}),
    wait: values.wait ?? false,
    ...(values.out ? { out: values.out } : {}),
    ...(values.status ? { status: values.status } : {}),
    ...(values.limit ? { limit: Number(values.limit) } : {}),
    ...(values.cursor ? { cursor: values.cursor } : {}),
    intervalMs: Number(values.interval ?? 1000),
    json: values.json ?? false,
  };
}
