/** `npm run bench -- [options]`: which figures, and the sizes of the runs behind them. */
import { parseArgs } from 'node:util';

/** Figure names for --only, and the run (child process) each one is read from. */
export const FIGURES = {
  gpu: 'load',
  lag: 'load',
  requests: 'load',
  submit: 'submit',
  idle: 'idle',
  copy: 'copy',
  cold: 'cold',
  fleet: 'fleet',
  formats: 'formats',
  policy: 'policy',
  ratelimit: 'ratelimit',
  push: 'push',
} as const;
export type FigureName = keyof typeof FIGURES;
export type Group = (typeof FIGURES)[FigureName];
const ALIASES: Record<string, FigureName> = { cost: 'requests', bundle: 'cold', rss: 'copy' };

export interface BenchOptions {
  only: FigureName[];
  tasks: number;
  clients: number;
  perClient: number;
  idleMinutes: number;
  idleTasks: number;
  copyMib: number;
  imports: number;
  timeoutMinutes: number;
  workflow?: string;
  comfyuiUrl?: string;
  /** The fleet figures on real ComfyUI servers this command starts (`npm start --gpu-command`). */
  gpuCommand?: string;
  /** Show the functions' own logs. */
  verbose: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]

  --only LIST          figures to measure, comma-separated (default: all):
                       gpu, lag, requests (alias cost), submit, idle, copy, cold (alias bundle),
                       fleet (simulated day of the GPU fleet controller),
                       formats (bytes saved by webp output, conversion time; real ComfyUI with --comfyui-url),
                       policy (cost of the workflow policy on the submit path),
                       ratelimit (cost of the per-owner rate limit per API call),
                       push (webhook lag, result lag with and without ComfyUI's WebSocket,
                       requests per task webhooks and the socket add; up to 100 tasks per run;
                       then what a long-polling client costs)
  --tasks N            tasks of the load run behind gpu, lag, requests (default 200)
  --clients N          concurrent clients of the submit figure (default 16)
  --per-client N       submissions per client (default 25)
  --idle-minutes N     length of the idle measurement (default 2)
  --idle-tasks N       finished tasks in the table while idle (default 100000)
  --copy-mib N         size of the copied output in MiB (default 1024)
  --imports N          fresh-process imports per function, median reported (default 5)
  --timeout-minutes N  give up on the load run after this long (default 15)
  --workflow FILE      API-format workflow for the load and submit runs (default: a tiny image one)
  --comfyui-url URL    a real ComfyUI instead of the stand-in (or COMFYUI_URL)
  --gpu-command CMD    the local fleet figures on real ComfyUI servers this command starts on {port}
                       (or COMFYUI_FLEET_COMMAND; see npm start -- --help)
  --verbose            show the functions' own logs
  -h, --help
`;

const num = (v: string | undefined, def: number, name: string, min = 1): number => {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min}`);
  return n;
};

export function parseBenchOptions(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      only: { type: 'string' },
      tasks: { type: 'string' },
      clients: { type: 'string' },
      'per-client': { type: 'string' },
      'idle-minutes': { type: 'string' },
      'idle-tasks': { type: 'string' },
      'copy-mib': { type: 'string' },
      imports: { type: 'string' },
      'timeout-minutes': { type: 'string' },
      workflow: { type: 'string' },
      'comfyui-url': { type: 'string' },
      'gpu-command': { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const only: FigureName[] = [];
  for (const raw of (values.only ?? Object.keys(FIGURES).join(',')).split(',')) {
    const name = raw.trim().toLowerCase();
    if (!name) continue;
    const fig = ALIASES[name] ?? name;
    if (!(fig in FIGURES)) throw new Error(`unknown figure "${raw}" in --only`);
    if (!only.includes(fig as FigureName)) only.push(fig as FigureName);
  }
  const comfyuiUrl = values['comfyui-url'] ?? env.COMFYUI_URL;
  const gpuCommand = values['gpu-command'] ?? env.COMFYUI_FLEET_COMMAND;
  if (comfyuiUrl !== undefined && !URL.canParse(comfyuiUrl)) {
    throw new Error(`COMFYUI_URL / --comfyui-url must be a URL, got ${comfyuiUrl}`);
  }
  return {
    only,
    tasks: num(values.tasks, 200, 'tasks'),
    clients: num(values.clients, 16, 'clients'),
    perClient: num(values['per-client'], 25, 'per-client'),
    idleMinutes: num(values['idle-minutes'], 2, 'idle-minutes', 0.1),
    idleTasks: num(values['idle-tasks'], 100_000, 'idle-tasks', 0),
    copyMib: num(values['copy-mib'], 1024, 'copy-mib'),
    imports: num(values.imports, 5, 'imports'),
    timeoutMinutes: num(values['timeout-minutes'], 15, 'timeout-minutes'),
    verbose: values.verbose ?? false,
    ...(values.workflow ? { workflow: values.workflow } : {}),
    ...(comfyuiUrl ? { comfyuiUrl: comfyuiUrl.replace(/\/+$/, '') } : {}),
    ...(gpuCommand ? { gpuCommand } : {}),
  };
}

/** The runs needed for these figures, in the order they run. */
export function groupsFor(only: readonly FigureName[]): Group[] {
  const order: Group[] = [
    'cold',
    'fleet',
    'formats',
    'load',
    'push',
    'submit',
    'policy',
    'ratelimit',
    'idle',
    'copy',
  ];
  const wanted = new Set(only.map((f) => FIGURES[f]));
  return order.filter((g) => wanted.has(g));
}
