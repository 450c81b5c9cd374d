import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiError, type TaskApi } from '../../../scripts/task-cli/api-client.js';
import { describeApiError } from '../../../scripts/task-cli/api-error-text.js';
import {
  HelpRequested,
  parseCliArgs,
  parseParam,
  UsageError,
} from '../../../scripts/task-cli/args.js';
import { describeTask, runCommand, submitBody } from '../../../scripts/task-cli/commands.js';
import { localNames } from '../../../scripts/task-cli/download.js';
import {
  bar,
  createProgress,
  describe as describeStatus,
} from '../../../scripts/task-cli/progress.js';
import { describeTemplates } from '../../../scripts/task-cli/templates-text.js';
import type { TaskView } from '../../../shared/http/schemas.js';

/** A task as the API returns it, with no outputs yet. */
const aView = (taskId: string, status: TaskView['status']): TaskView => ({
  taskId,
  status,
  createdAt: 'now',
  updatedAt: 'now',
  outputs: [],
  version: 1,
});

describe('task CLI arguments', () => {
  it('parses --param values as JSON when they are JSON, else as strings', () => {
    expect(parseParam('steps=20')).toEqual(['steps', 20]);
    expect(parseParam('prompt=a cat')).toEqual(['prompt', 'a cat']);
    expect(parseParam('tiled=true')).toEqual(['tiled', true]);
    expect(parseParam('prompt="123"')).toEqual(['prompt', '123']);
    expect(parseParam('x=a=b')).toEqual(['x', 'a=b']);
    expect(() => parseParam('novalue')).toThrow(UsageError);
  });

  it('finds the API and key in flags, then env, then .local from npm start', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'cli-'));
    mkdirSync(join(cwd, '.local'));
    writeFileSync(join(cwd, '.local', 'api-key'), 'csk_file\n');
    writeFileSync(join(cwd, '.local', 'runtime.json'), '{"apiUrl":"http://127.0.0.1:3999"}');
    expect(parseCliArgs(['list'], {}, cwd)).toMatchObject({
      apiUrl: 'http://127.0.0.1:3999',
      apiKey: 'csk_file',
    });
    expect(
      parseCliArgs(['list'], { COMFY_API_URL: 'https://x', COMFY_API_KEY: 'csk_env' }, cwd),
    ).toMatchObject({
      apiUrl: 'https://x',
      apiKey: 'csk_env',
    });
    expect(
      parseCliArgs(
        ['list', '--api', 'https://y', '--key', 'k'],
        { COMFY_API_URL: 'https://x' },
        cwd,
      ),
    ).toMatchObject({
      apiUrl: 'https://y',
      apiKey: 'k',
    });
    const jwt = parseCliArgs(['list'], { COMFY_API_TOKEN: 'eyJ' }, cwd);
    expect(jwt.token).toBe('eyJ');
    expect(jwt.apiKey).toBeUndefined();
    expect(parseCliArgs(['list'], {}, tmpdir()).apiUrl).toBe('http://127.0.0.1:3000');
    expect(() => parseCliArgs([], {}, cwd)).toThrow(UsageError);
  });

  it('asks for the usage text (exit 0) on --help or -h, with or without a command', () => {
    expect(() => parseCliArgs(['--help'], {}, tmpdir())).toThrow(HelpRequested);
    expect(() => parseCliArgs(['submit', '-h'], {}, tmpdir())).toThrow(HelpRequested);
    expect(() => parseCliArgs([], {}, tmpdir())).not.toThrow(HelpRequested);
  });

  it('builds the submit body from a template, a bare workflow or a whole request', () => {
    const args = parseCliArgs(
      ['submit', '--template', 'txt2img', '--param', 'prompt=a cat', '--metadata', '{"a":1}'],
      {},
      tmpdir(),
    );
    expect(submitBody(args)).toEqual({
      template: 'txt2img',
      params: { prompt: 'a cat' },
      metadata: { a: 1 },
    });
    const wf = { '1': { class_type: 'EmptyImage', inputs: {} } };
    const file = parseCliArgs(['submit', 'wf.json'], {}, tmpdir());
    expect(submitBody(file, () => JSON.stringify(wf))).toEqual({ workflow: wf });
    expect(submitBody(file, () => JSON.stringify({ workflow: wf }))).toEqual({ workflow: wf });
    expect(() => submitBody(file, () => 'not json')).toThrow('cannot read wf.json as JSON');
    expect(() => submitBody(parseCliArgs(['submit'], {}, tmpdir()))).toThrow(UsageError);
  });
});

describe('task CLI output', () => {
  it("prints an API error's issues with the field, the value sent and what is allowed", () => {
    const err = new ApiError(400, 'INVALID_PARAMS', 'The params do not fit template txt2img.', {
      issues: [
        { path: ['params', 'steps'], message: 'Too big: expected number to be <=150' },
        { path: ['params', 'prompt'], message: 'Invalid input: expected string' },
      ],
    });
    const sent = { template: 'txt2img', params: { steps: 500 } };
    expect(describeApiError(err, sent).split('\n')).toEqual([
      'error: 400 INVALID_PARAMS: The params do not fit template txt2img.',
      '  params.steps: Too big: expected number to be <=150 (sent 500)',
      '  params.prompt: Invalid input: expected string',
    ]);
    const other = new ApiError(413, 'PAYLOAD_TOO_LARGE', 'Too big', { limit: 10, size: 20 });
    expect(describeApiError(other)).toBe(
      'error: 413 PAYLOAD_TOO_LARGE: Too big\n  details: {"limit":10,"size":20}',
    );
    expect(describeApiError(new ApiError(404, 'NOT_FOUND', 'No task'))).toBe(
      'error: 404 NOT_FOUND: No task',
    );
    const saidItAll = new ApiError(
      400,
      'INVALID_TASK_ID',
      'Invalid path.taskId: a lowercase UUID',
      {
        issues: [{ path: ['path', 'taskId'], message: 'a lowercase UUID' }],
      },
    );
    expect(describeApiError(saidItAll)).toBe(
      'error: 400 INVALID_TASK_ID: Invalid path.taskId: a lowercase UUID',
    );
  });

  it('summarizes templates: name, description, each parameter with its type and default', () => {
    const text = describeTemplates({
      items: [
        {
          name: 'txt2img',
          description: 'Text to image.',
          params: {
            type: 'object',
            properties: {
              prompt: { type: 'string', maxLength: 4000, description: 'What to show.' },
              steps: { type: 'integer', minimum: 1, maximum: 150, default: 20 },
              seed: { type: 'integer', minimum: 0 },
              sampler: { type: 'string', enum: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], default: 'a' },
            },
            required: ['prompt'],
          },
        },
      ],
    });
    expect(text.split('\n').slice(0, 5)).toEqual([
      'txt2img: Text to image.',
      '  prompt   string, up to 4000 chars; required. What to show.',
      '  steps    integer 1..150; default 20',
      '  seed     integer 0..; optional',
      '  sampler  one of a, b, c, d, e, f, ... (7 values; --json lists all); default "a"',
    ]);
    expect(describeTemplates({ items: [] })).toBe('no templates');
  });

  it('describes failures with the node that failed', () => {
    const text = describeTask({
      ...aView('t1', 'failed'),
      error: { code: 'COMFYUI_REJECTED', message: 'bad input', nodeId: '3', nodeType: 'KSampler' },
    });
    expect(text).toContain('t1  failed');
    expect(text).toContain('COMFYUI_REJECTED: bad input [node 3 KSampler]');
  });

  it('names downloads after the outputs, prefixing the node id when two share a name', () => {
    const o = (nodeId: string, filename: string) => ({
      nodeId,
      filename,
      contentType: '',
      size: 0,
      url: '',
      expiresAt: '',
    });
    expect(localNames([o('9', 'a.png'), o('10', 'b.png')])).toEqual(['a.png', 'b.png']);
    expect(localNames([o('9', 'a.png'), o('10', 'a.png')])).toEqual(['9-a.png', '10-a.png']);
    expect(localNames([o('9', '../../etc/passwd')])).toEqual(['passwd']);
  });

  it('moves the bar through queue, running and copying; plain lines off a terminal', () => {
    expect(describeStatus({ ...aView('t', 'dispatched'), queuePosition: 1 }).text).toBe(
      'waiting at ComfyUI, queue position 2',
    );
    expect(bar(0)).toBe(`[${'-'.repeat(24)}]`);
    expect(bar(1)).toBe(`[${'#'.repeat(24)}]`);
    const lines: string[] = [];
    const p = createProgress({
      write: (s: string) => lines.push(s),
    } as unknown as NodeJS.WritableStream);
    p.task(aView('t', 'queued'));
    p.task(aView('t', 'queued'));
    p.task(aView('t', 'running'));
    expect(lines).toEqual(['t queued\n', 't running\n']);
    lines.length = 0;
    for (let chunk = 1; chunk <= 1000; chunk++) p.copying(0, 2, chunk * 1024, 2 * 1024 * 1024);
    p.copying(1, 2, 1024 * 1024, 2 * 1024 * 1024);
    for (let chunk = 1; chunk <= 1000; chunk++)
      p.copying(1, 2, (1024 + chunk) * 1024, 2 * 1024 * 1024);
    p.copying(2, 2, 2 * 1024 * 1024, 2 * 1024 * 1024);
    expect(lines).toEqual([
      'copying outputs 0/2 (0.0 MB of 2.0 MB)\n',
      'copying outputs 1/2 (1.0 MB of 2.0 MB)\n',
      'copying outputs 2/2 (2.0 MB of 2.0 MB)\n',
    ]);
  });
});

describe('task CLI commands', () => {
  const sink = () => {
    const lines: string[] = [];
    return {
      lines,
      stream: { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream,
    };
  };
  const args = (argv: string[]) => parseCliArgs([...argv, '--interval', '0'], {}, tmpdir());
  /** A fake API whose task goes through the given statuses, one per status call. */
  const fakeApi = (statuses: TaskView['status'][], error?: TaskView['error']): TaskApi => {
    let i = 0;
    const view = (): TaskView => {
      const status = statuses[Math.min(i, statuses.length - 1)] as TaskView['status'];
      return { ...aView('t1', status), ...(status === 'failed' && error ? { error } : {}) };
    };
    return {
      submit: async () => ({ taskId: 't1', status: 'queued', createdAt: 'now' }),
      status: async () => {
        const v = view();
        i++;
        return v;
      },
      list: async () => ({ items: [view()] }),
      cancel: async () => ({ ...view(), status: 'cancelled' }),
      templates: async () => ({ items: [] }),
    };
  };

  it('follows a task to success and exits 0', async () => {
    const out = sink();
    const err = sink();
    const code = await runCommand(
      fakeApi(['queued', 'running', 'succeeded']),
      args(['submit', '--template', 'x', '--wait']),
      {
        out: out.stream,
        err: err.stream,
        sleep: async () => {},
      },
    );
    expect(code).toBe(0);
    expect(err.lines.join('')).toContain('t1 running');
    expect(out.lines.join('')).toContain('t1  succeeded');
  });

  it('exits 1 with the error when the task fails, 3 when the API refuses', async () => {
    const err = sink();
    const failed = await runCommand(
      fakeApi(['running', 'failed'], { code: 'COMFYUI_REJECTED', message: 'bad', nodeId: '2' }),
      args(['status', 't1', '--wait']),
      { out: sink().stream, err: err.stream, sleep: async () => {} },
    );
    expect(failed).toBe(1);
    expect(err.lines.join('')).toContain('error: COMFYUI_REJECTED: bad [node 2]');
    const refusing: TaskApi = {
      ...fakeApi(['queued']),
      status: async () => {
        throw new ApiError(403, 'UNAUTHORIZED', 'Forbidden');
      },
    };
    const err2 = sink();
    expect(
      await runCommand(refusing, args(['status', 't1']), { out: sink().stream, err: err2.stream }),
    ).toBe(3);
    expect(err2.lines.join('')).toContain('check --key');
  });

  it('lists tasks and says how to continue a long list', async () => {
    const seen: unknown[] = [];
    const api: TaskApi = {
      ...fakeApi(['queued']),
      list: async (query) => {
        seen.push(query);
        return { items: [aView('t1', 'queued')], nextCursor: 'c2' };
      },
    };
    const out = sink();
    const err = sink();
    const code = await runCommand(api, args(['list', '--limit', '1', '--cursor', 'c1']), {
      out: out.stream,
      err: err.stream,
    });
    expect(code).toBe(0);
    expect(seen).toEqual([{ limit: 1, cursor: 'c1' }]);
    expect(out.lines.join('')).toMatch(/^t1 {2}queued/);
    expect(err.lines.join('')).toBe('more: npm run task -- list --limit 1 --cursor c2\n');
  });

  it('shows the refused values of a submit, and the templates as text unless --json', async () => {
    const refusing: TaskApi = {
      ...fakeApi(['queued']),
      submit: async () => {
        throw new ApiError(400, 'INVALID_PARAMS', 'bad params', {
          issues: [{ path: ['params', 'steps'], message: 'Too big: expected number to be <=150' }],
        });
      },
      templates: async () => ({
        items: [{ name: 'x', description: 'X.', params: { properties: {} } }],
      }),
    };
    const err = sink();
    const code = await runCommand(
      refusing,
      args(['submit', '--template', 'x', '--param', 'steps=500']),
      { out: sink().stream, err: err.stream },
    );
    expect(code).toBe(3);
    expect(err.lines.join('')).toContain(
      'params.steps: Too big: expected number to be <=150 (sent 500)',
    );
    const text = sink();
    expect(
      await runCommand(refusing, args(['templates']), { out: text.stream, err: err.stream }),
    ).toBe(0);
    expect(text.lines.join('')).toMatch(/^x: X\./);
    const json = sink();
    await runCommand(refusing, args(['templates', '--json']), {
      out: json.stream,
      err: err.stream,
    });
    expect(JSON.parse(json.lines.join(''))).toEqual({
      items: [{ name: 'x', description: 'X.', params: { properties: {} } }],
    });
  });
});
