/**
 * The CLI's commands. Each returns the process exit code: 0 done, 1 the task failed or was
 * cancelled, 3 the API refused or could not be reached (2, bad usage, is decided in args.ts).
 */
import { readFileSync } from 'node:fs';
import type { TaskView } from '../../shared/http/schemas.js';
import { ApiError, type TaskApi } from './api-client.js';
import { describeApiError } from './api-error-text.js';
import type { CliArgs } from './args.js';
import { UsageError } from './args.js';
import { downloadOutputs } from './download.js';
import { createProgress } from './progress.js';
import { describeTemplates } from './templates-text.js';

export interface Io {
  out: NodeJS.WritableStream & { isTTY?: boolean };
  err: NodeJS.WritableStream & { isTTY?: boolean };
  sleep?: (ms: number) => Promise<void>;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const print = (s: NodeJS.WritableStream, text: string) => s.write(`${text}\n`);

export function submitBody(
  args: CliArgs,
  readFile = (p: string) => readFileSync(p, 'utf8'),
): Record<string, unknown> {
  const file = args.positional[0];
  let body: Record<string, unknown>;
  if (args.template) {
    if (file) throw new UsageError('give a workflow file or --template, not both');
    body = { template: args.template, params: args.params };
  } else if (file) {
    let json: unknown;
    try {
      json = JSON.parse(readFile(file));
    } catch (err) {
      throw new UsageError(`cannot read ${file} as JSON: ${(err as Error).message}`);
    }
    const obj = json as Record<string, unknown>;
    // A whole request body ({"workflow": ...} or {"template": ...}) or a bare API-format workflow.
    body =
      obj && typeof obj === 'object' && ('workflow' in obj || 'template' in obj)
        ? obj
        : { workflow: json };
  } else {
    throw new UsageError('submit needs a workflow file or --template NAME');
  }
  if (args.metadata) body.metadata = args.metadata;
  return body;
}

export function describeTask(t: TaskView): string {
  const lines = [
    `${t.taskId}  ${t.status}${t.queuePosition !== undefined ? ` (queue position ${t.queuePosition + 1})` : ''}`,
  ];
  if (t.error) {
    const where = t.error.nodeId
      ? ` [node ${t.error.nodeId}${t.error.nodeType ? ` ${t.error.nodeType}` : ''}]`
      : '';
    lines.push(`  error: ${t.error.code}: ${t.error.message}${where}`);
  }
  for (const o of t.outputs ?? [])
    lines.push(`  output ${o.nodeId}/${o.filename} (${o.size} bytes): ${o.url}`);
  return lines.join('\n');
}

async function follow(client: TaskApi, taskId: string, args: CliArgs, io: Io): Promise<number> {
  const sleep = io.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const progress = createProgress(io.err);
  let task = await client.status(taskId);
  while (!TERMINAL.has(task.status)) {
    progress.task(task);
    await sleep(args.intervalMs);
    task = await client.status(taskId);
  }
  progress.task(task);
  if (task.status !== 'succeeded') {
    progress.end();
    print(io.err, describeTask(task));
    if (args.json) print(io.out, JSON.stringify(task));
    return 1;
  }
  const outputs = task.outputs ?? [];
  let files: string[] = [];
  if (args.out) {
    const totalBytes = outputs.reduce((n, o) => n + o.size, 0);
    files = await downloadOutputs(outputs, args.out, (done, bytes) =>
      progress.copying(done, outputs.length, bytes, totalBytes),
    );
  }
  progress.end();
  if (args.json) print(io.out, JSON.stringify(task));
  else if (files.length) for (const f of files) print(io.out, f);
  else print(io.out, describeTask(task));
  return 0;
}

export async function runCommand(client: TaskApi, args: CliArgs, io: Io): Promise<number> {
  /** The request body, so an error's details can show the values that were refused. */
  let sent: unknown;
  try {
    switch (args.command) {
      case 'submit': {
        sent = submitBody(args);
        const created = await client.submit(sent as Record<string, unknown>, args.idempotencyKey);
        if (!args.wait) {
          print(io.out, args.json ? JSON.stringify(created) : created.taskId);
          return 0;
        }
        print(io.err, `submitted ${created.taskId}`);
        return await follow(client, created.taskId, args, io);
      }
      case 'status': {
        const id = args.positional[0];
        if (!id) throw new UsageError('status needs a task id');
        if (args.wait) return await follow(client, id, args, io);
        const t = await client.status(id);
        print(io.out, args.json ? JSON.stringify(t) : describeTask(t));
        return 0;
      }
      case 'list': {
        const page = await client.list({
          ...(args.status ? { status: args.status } : {}),
          ...(args.limit ? { limit: args.limit } : {}),
          ...(args.cursor ? { cursor: args.cursor } : {}),
        });
        if (args.json) print(io.out, JSON.stringify(page));
        else {
          for (const t of page.items)
            print(io.out, `${t.taskId}  ${t.status.padEnd(10)} ${t.createdAt}`);
          if (page.nextCursor) {
            const rest = [
              ...(args.status ? [`--status ${args.status}`] : []),
              ...(args.limit ? [`--limit ${args.limit}`] : []),
            ];
            print(
              io.err,
              `more: npm run task -- list ${[...rest, `--cursor ${page.nextCursor}`].join(' ')}`,
            );
          }
        }
        return 0;
      }
      case 'cancel': {
        const id = args.positional[0];
        if (!id) throw new UsageError('cancel needs a task id');
        const t = await client.cancel(id);
        print(
          io.out,
          args.json ? JSON.stringify(t) : `${t.taskId ?? id}  ${t.status ?? 'cancel requested'}`,
        );
        return 0;
      }
      case 'templates': {
        const templates = await client.templates();
        print(
          io.out,
          args.json ? JSON.stringify(templates, null, 2) : describeTemplates(templates),
        );
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${JSON.stringify(args.command)}`);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if (err instanceof ApiError) {
      const hint =
        err.status === 401 || err.status === 403
          ? ' (check --key, COMFY_API_KEY or .local/api-key; --token in JWT mode)'
          : '';
      print(io.err, `${describeApiError(err, sent)}${hint}`);
      return 3;
    }
    print(io.err, `error: ${(err as Error).message}`);
    return 3;
  }
}
