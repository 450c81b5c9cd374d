/**
 * `npm start` options, from flags first and then environment variables. Every port has a fixed
 * default, so a developer's instance is predictable, and a flag, so tests can run beside it.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { LocalFleetSize } from '../fleet/local-fleet-controller.js';

export interface StartOptions {
  host: string;
  apiPort: number;
  dynamodbPort: number;
  /** fauxqs serves S3 and SQS on one port. */
  awsPort: number;
  comfyPort: number;
  /** How long each stand-in run takes, so a local user sees queued, running, succeeded. */
  comfyExecutionMs: number;
  /** A real ComfyUI server to use instead of the stand-in. */
  comfyuiUrl?: string;
  /** Where `api-key` (and, by default, persisted data) go. */
  stateDir: string;
  /** Set when state must survive restarts. */
  dataDir?: string;
  region: string;
  /** Re-invoke the poller this long after it returns (the deployed schedule is every minute). */
  pollerRepeatMs: number;
  /** Origins API Gateway's CORS allows (none: no CORS headers, as deployed by default). */
  corsOrigins: string[];
  /** Apply the stage's throttle (50 requests/s, bursts of 100) as deployed. */
  throttle: boolean;
  /** Print one line per API request and per batch. */
  verbose: boolean;
  /**
   * A local GPU fleet instead of one stand-in: the fleet controller starts and stops stand-ins (each
   * on a port of its own, answering after `bootMs`) as the queue asks.
   */
  fleet?: LocalFleetSize & {
    warmPool?: boolean;
    /** Real ComfyUI servers started by this command instead of stand-ins. */
    command?: string;
  };
}

export const USAGE = `Usage: npm start -- [options]

Runs the whole system on this machine: DynamoDB Local, fauxqs (S3 + SQS), the ComfyUI stand-in,
the API on http://127.0.0.1:3000, the dispatcher, dead-letter handler and poller.

Options (environment variable in brackets):
  --port N             local API port (LOCAL_API_PORT, default 3000)
  --dynamodb-port N    DynamoDB Local port (LOCAL_DYNAMODB_PORT, default 8000)
  --aws-port N         fauxqs S3 + SQS port (LOCAL_AWS_PORT, default 4566)
  --comfy-port N       ComfyUI stand-in port (LOCAL_COMFY_PORT, default 8188)
  --comfyui-url URL    use this real ComfyUI server, no stand-in (COMFYUI_URL)
  --comfy-execution-ms MS  how long each stand-in run takes (LOCAL_COMFY_EXECUTION_MS, default 2000)
  --persist            keep state across restarts in .local/data
  --data-dir DIR       keep state across restarts in DIR (implies --persist)
  --state-dir DIR      where api-key is written (LOCAL_STATE_DIR, default .local)
  --poller-repeat MS   re-run the poller MS after it returns (LOCAL_POLLER_REPEAT_MS, default 1000)
  --cors-origin URL    allow this browser origin, as the stack's corsOrigins does (repeatable;
                       LOCAL_CORS_ORIGINS, comma-separated; * for any)
  --max-gpus N         a local GPU fleet of up to N ComfyUI stand-ins, started and stopped by the
                       fleet controller as the queue asks (LOCAL_MAX_GPUS; not with --comfyui-url)
  --min-gpus N         stand-ins kept running with no work (LOCAL_MIN_GPUS, default 0)
  --gpu-boot-ms MS     how long a new stand-in takes to answer (LOCAL_GPU_BOOT_MS, default 3000)
  --gpu-idle-ms MS     a stand-in idle this long is stopped (LOCAL_GPU_IDLE_MS, default 10000)
  --gpu-idle-follows-demand  --gpu-idle-ms is the longest a stand-in is kept idle: one that recent
                       demand would not bring a prompt within a boot stops once it is empty
                       (LOCAL_GPU_IDLE_FOLLOWS_DEMAND=1), as the stack's gpuIdleFollowsDemand
  --gpu-command CMD    real ComfyUI servers instead of stand-ins: CMD starts one in the foreground,
                       with {port} and {slot} (0 to N-1, e.g. a CUDA device) filled in; --gpu-boot-ms
                       is then what the controller expects a start to take (LOCAL_GPU_COMMAND)
  --gpu-warm-pool      a stopped stand-in goes back into a pool and starts again under its name and
                       port, as the deployed warm pool reuses instances (LOCAL_GPU_WARM_POOL=1)
  --no-throttle        no stage throttle (deployed: 50 requests/s, bursts of 100, then 429) and no
                       per-owner rate limit (OWNER_RATE_LIMIT_PER_SECOND, default 20/s, bursts of 40)
  --quiet              no per-request lines
  -h, --help           this text
`;

const gpuCommand = (command: string | undefined): { command?: string } => {
  if (command === undefined || command.trim() === '') return {};
  if (!command.includes('{port}')) {
    throw new Error('--gpu-command must contain {port}: each server listens on a port of its own');
  }
  return { command };
};

const port = (value: string | undefined, fallback: number, name: string): number => {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${name} must be a port number, got ${value}`);
  return n;
};

const millis = (value: string | undefined, fallback: number, name: string): number => {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name} must be a whole number of ms, got ${value}`);
  return n;
};

export function parseStartOptions(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  cwd: string,
): StartOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      'dynamodb-port': { type: 'string' },
      'aws-port': { type: 'string' },
      'comfy-port': { type: 'string' },
      'comfyui-url': { type: 'string' },
      'comfy-execution-ms': { type: 'string' },
      persist: { type: 'boolean' },
      'data-dir': { type: 'string' },
      'state-dir': { type: 'string' },
      'poller-repeat': { type: 'string' },
      'cors-origin': { type: 'string', multiple: true },
      'no-throttle': { type: 'boolean' },
      'max-gpus': { type: 'string' },
      'min-gpus': { type: 'string' },
      'gpu-boot-ms': { type: 'string' },
      'gpu-idle-ms': { type: 'string' },
      'gpu-warm-pool': { type: 'boolean' },
      'gpu-idle-follows-demand': { type: 'boolean' },
      'gpu-command': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const stateDir = resolve(cwd, values['state-dir'] ?? env.LOCAL_STATE_DIR ?? '.local');
  const dataDir = values['data-dir']
    ? resolve(cwd, values['data-dir'])
    : values.persist
      ? resolve(stateDir, 'data')
      : undefined;
  const comfyuiUrl = values['comfyui-url'] ?? env.COMFYUI_URL;
  if (comfyuiUrl !== undefined && !URL.canParse(comfyuiUrl)) {
    throw new Error(`COMFYUI_URL / --comfyui-url must be a URL, got ${comfyuiUrl}`);
  }
  const maxGpus = values['max-gpus'] ?? env.LOCAL_MAX_GPUS;
  let fleet: StartOptions['fleet'];
  if (maxGpus !== undefined && maxGpus !== '') {
    if (comfyuiUrl)
      throw new Error('--max-gpus runs stand-ins; it cannot be used with --comfyui-url');
    const max = millis(maxGpus, 0, '--max-gpus');
    const min = millis(values['min-gpus'] ?? env.LOCAL_MIN_GPUS, 0, '--min-gpus');
    if (max < 1 || min > max) {
      throw new Error(`--max-gpus must be at least 1 and at least --min-gpus (got ${min}..${max})`);
    }
    fleet = {
      minGpus: min,
      maxGpus: max,
      bootMs: millis(values['gpu-boot-ms'] ?? env.LOCAL_GPU_BOOT_MS, 3000, '--gpu-boot-ms'),
      idleMs: millis(values['gpu-idle-ms'] ?? env.LOCAL_GPU_IDLE_MS, 10_000, '--gpu-idle-ms'),
      warmPool: values['gpu-warm-pool'] === true || env.LOCAL_GPU_WARM_POOL === '1',
      idleFollowsDemand:
        values['gpu-idle-follows-demand'] === true || env.LOCAL_GPU_IDLE_FOLLOWS_DEMAND === '1',
      ...gpuCommand(values['gpu-command'] ?? env.LOCAL_GPU_COMMAND),
    };
  } else if (values['min-gpus'] !== undefined) {
    throw new Error('--min-gpus needs --max-gpus');
  } else if (values['gpu-warm-pool']) {
    throw new Error('--gpu-warm-pool needs --max-gpus');
  } else if (values['gpu-idle-follows-demand']) {
    throw new Error('--gpu-idle-follows-demand needs --max-gpus');
  } else if (values['gpu-command']) {
    throw new Error('--gpu-command needs --max-gpus');
  }
  return {
    ...(fleet ? { fleet } : {}),
    host: '127.0.0.1',
    apiPort: port(values.port ?? env.LOCAL_API_PORT, 3000, '--port'),
    dynamodbPort: port(values['dynamodb-port'] ?? env.LOCAL_DYNAMODB_PORT, 8000, '--dynamodb-port'),
    awsPort: port(values['aws-port'] ?? env.LOCAL_AWS_PORT, 4566, '--aws-port'),
    comfyPort: port(values['comfy-port'] ?? env.LOCAL_COMFY_PORT, 8188, '--comfy-port'),
    comfyExecutionMs: millis(
      values['comfy-execution-ms'] ?? env.LOCAL_COMFY_EXECUTION_MS,
      2000,
      '--comfy-execution-ms',
    ),
    ...(comfyuiUrl ? { comfyuiUrl: comfyuiUrl.replace(/\/+$/, '') } : {}),
    stateDir,
    ...(dataDir ? { dataDir } : {}),
    region: env.AWS_REGION ?? 'us-east-1',
    pollerRepeatMs: millis(
      values['poller-repeat'] ?? env.LOCAL_POLLER_REPEAT_MS,
      1000,
      '--poller-repeat',
    ),
    corsOrigins:
      values['cors-origin'] ??
      (env.LOCAL_CORS_ORIGINS ?? '')
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    throttle: !values['no-throttle'],
    verbose: !values.quiet,
  };
}
