import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { quickstartScript } from '../../../infra/local/start/banner.js';
import { functionEnvironment } from '../../../infra/local/start/function-env.js';
import { parseStartOptions } from '../../../infra/local/start/options.js';
import { loadConfig } from '../../../shared/config.js';

describe('parseStartOptions', () => {
  it('uses the fixed default ports and a clean, in-memory start', () => {
    const o = parseStartOptions([], {}, '/repo');
    expect(o).toMatchObject({
      apiPort: 3000,
      dynamodbPort: 8000,
      awsPort: 4566,
      comfyPort: 8188,
      stateDir: '/repo/.local',
      pollerRepeatMs: 1000,
      throttle: true,
      verbose: true,
    });
    expect(o !== 'help' && o.dataDir).toBeFalsy();
  });

  it('runs a local GPU fleet with --max-gpus, optionally with a warm pool, and refuses fleet flags without it', () => {
    expect(
      parseStartOptions(
        ['--max-gpus', '3', '--min-gpus', '1', '--gpu-boot-ms', '500', '--gpu-warm-pool'],
        {},
        '/repo',
      ),
    ).toMatchObject({
      fleet: { minGpus: 1, maxGpus: 3, bootMs: 500, idleMs: 10_000, warmPool: true },
    });
    expect(parseStartOptions([], { LOCAL_MAX_GPUS: '2' }, '/repo')).toMatchObject({
      fleet: { maxGpus: 2, warmPool: false, idleFollowsDemand: false },
    });
    expect(
      parseStartOptions(['--max-gpus', '2', '--gpu-idle-follows-demand'], {}, '/repo'),
    ).toMatchObject({ fleet: { idleFollowsDemand: true } });
    expect(() => parseStartOptions(['--gpu-idle-follows-demand'], {}, '/repo')).toThrow(
      '--gpu-idle-follows-demand needs --max-gpus',
    );
    const cmd = 'python main.py --port {port} --cuda-device {slot}';
    expect(parseStartOptions(['--max-gpus', '2', '--gpu-command', cmd], {}, '/repo')).toMatchObject(
      { fleet: { maxGpus: 2, command: cmd } },
    );
    expect(
      parseStartOptions([], { LOCAL_MAX_GPUS: '2', LOCAL_GPU_COMMAND: cmd }, '/repo'),
    ).toMatchObject({ fleet: { command: cmd } });
    expect(() =>
      parseStartOptions(['--max-gpus', '2', '--gpu-command', 'python main.py'], {}, '/repo'),
    ).toThrow('--gpu-command must contain {port}');
    expect(() => parseStartOptions(['--gpu-command', cmd], {}, '/repo')).toThrow(
      '--gpu-command needs --max-gpus',
    );
    expect(() => parseStartOptions(['--gpu-warm-pool'], {}, '/repo')).toThrow(
      '--gpu-warm-pool needs --max-gpus',
    );
    expect(() => parseStartOptions(['--min-gpus', '1'], {}, '/repo')).toThrow(
      '--min-gpus needs --max-gpus',
    );
  });

  it('takes flags over environment variables', () => {
    const o = parseStartOptions(
      ['--port', '3100', '--aws-port', '0', '--persist', '--state-dir', 'st'],
      { LOCAL_API_PORT: '3200', LOCAL_DYNAMODB_PORT: '8100', COMFYUI_URL: 'http://gpu:8188/' },
      '/repo',
    );
    expect(o).toMatchObject({
      apiPort: 3100,
      dynamodbPort: 8100,
      awsPort: 0,
      comfyuiUrl: 'http://gpu:8188',
      stateDir: '/repo/st',
      dataDir: '/repo/st/data',
    });
    expect(parseStartOptions(['--data-dir', '/d'], {}, '/repo')).toMatchObject({ dataDir: '/d' });
    expect(parseStartOptions([], { LOCAL_CORS_ORIGINS: 'http://a, http://b' }, '/')).toMatchObject({
      corsOrigins: ['http://a', 'http://b'],
    });
    expect(parseStartOptions(['--cors-origin', '*'], {}, '/')).toMatchObject({
      corsOrigins: ['*'],
    });
  });

  it('rejects bad ports, bad URLs and unknown flags', () => {
    expect(() => parseStartOptions(['--port', 'x'], {}, '/')).toThrow(
      '--port must be a port number',
    );
    expect(() => parseStartOptions(['--comfyui-url', 'nope'], {}, '/')).toThrow('must be a URL');
    expect(() => parseStartOptions(['--nope'], {}, '/')).toThrow();
    expect(() => parseStartOptions(['--poller-repeat=-1'], {}, '/')).toThrow('whole number of ms');
    expect(() => parseStartOptions([], { LOCAL_COMFY_EXECUTION_MS: 'x' }, '/')).toThrow(
      '--comfy-execution-ms',
    );
    expect(parseStartOptions(['--help'], {}, '/')).toBe('help');
  });
});

describe('functionEnvironment', () => {
  const input = {
    names: {
      tasksTable: 't',
      apiKeysTable: 'k',
      bucket: 'b',
      queueUrl: 'http://sqs.us-east-1.localhost:4566/000000000000/q',
      queueArn: 'arn:q',
      dlqUrl: 'http://sqs.us-east-1.localhost:4566/000000000000/d',
      dlqArn: 'arn:d',
      webhookQueueUrl: 'http://sqs.us-east-1.localhost:4566/000000000000/w',
      webhookQueueArn: 'arn:w',
      webhookDlqUrl: 'http://sqs.us-east-1.localhost:4566/000000000000/wd',
      webhookDlqArn: 'arn:wd',
    },
    dynamodbEndpoint: 'http://127.0.0.1:8000',
    s3SqsEndpoint: 'http://127.0.0.1:4566',
    comfyUrls: ['http://127.0.0.1:8188'],
    region: 'us-east-1',
  };

  it('is a valid function config pointing at the local resources', () => {
    const env = functionEnvironment({ ...input, env: {} });
    const config = loadConfig(env);
    expect(config).toMatchObject({
      TASKS_TABLE_NAME: 't',
      API_KEYS_TABLE_NAME: 'k',
      OUTPUTS_BUCKET_NAME: 'b',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4566',
      COMFYUI_URLS: ['http://127.0.0.1:8188'],
      LOG_LEVEL: 'WARN',
      WEBHOOK_QUEUE_URL: 'http://sqs.us-east-1.localhost:4566/000000000000/w',
      WEBHOOK_DLQ_URL: 'http://sqs.us-east-1.localhost:4566/000000000000/wd',
      WEBHOOK_ALLOW_LOCAL_HTTP: true,
    });
    expect(env.AWS_ACCESS_KEY_ID).toBe('local');
  });

  it('gives each start its own ComfyUI client id, unless the developer set one', () => {
    const a = functionEnvironment({ ...input, env: {} }).COMFYUI_CLIENT_ID;
    const b = functionEnvironment({ ...input, env: {} }).COMFYUI_CLIENT_ID;
    expect(a).toMatch(/^comfy-serverless-local-[0-9a-f]{8}$/);
    expect(b).not.toBe(a);
    expect(
      functionEnvironment({ ...input, env: { COMFYUI_CLIENT_ID: 'mine' } }).COMFYUI_CLIENT_ID,
    ).toBe('mine');
  });

  it("passes the developer's config variables through, but never over the resource names", () => {
    const env = functionEnvironment({
      ...input,
      env: { POLL_INTERVAL_MS: '100', LOG_LEVEL: 'DEBUG', TASKS_TABLE_NAME: 'other', HOME: '/h' },
    });
    expect(env).toMatchObject({
      POLL_INTERVAL_MS: '100',
      LOG_LEVEL: 'DEBUG',
      TASKS_TABLE_NAME: 't',
    });
    expect(env.HOME).toBeUndefined();
  });
});

describe('README quick start', () => {
  it('shows exactly the script npm start prints for the default ports', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const block = /<!-- quickstart:begin -->\n```sh\n([\s\S]*?)```\n<!-- quickstart:end -->/.exec(
      readme,
    );
    expect(block?.[1]).toBe(quickstartScript());
  });
});
