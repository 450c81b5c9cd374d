/**
 * Figure 6, output copy: one 1 GiB output (the stand-in's StandInLargeOutput, generated on the fly)
 * copied by the poller from ComfyUI's /view to S3. DynamoDB Local, fauxqs (which keeps S3 objects in
 * memory) and the stand-in run in this process; the functions run in a child process
 * (copy-probe.ts) whose RSS growth over the copy is the figure. Target: under 64 MB (MiB) of growth.
 * Always the stand-in: a real ComfyUI has no node that makes a 1 GiB output on demand.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { bootstrapLocalResources } from '../../infra/local/bootstrap.js';
import { startComfyStandIn } from '../../infra/local/comfy-standin/index.js';
import { startDynamoLocal, startS3Sqs } from '../../infra/local/emulators.js';
import { LOCAL_CREDENTIALS } from '../../infra/local/start/function-env.js';
import { createAwsClients } from '../../shared/adapters/aws/clients.js';
import { type Figure, figure, missing } from '../lib/figure.js';
import { REPO_ROOT } from '../lib/paths.js';
import type { CopyProbeInput, CopyProbeResult } from './copy-probe.js';

const MIB = 1024 * 1024;
const TARGET = { op: '<', value: 64 } as const;

function runProbe(input: CopyProbeInput): Promise<CopyProbeResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', join('bench', 'figures', 'copy-probe.ts')],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, ...LOCAL_CREDENTIALS, BENCH_COPY_INPUT: JSON.stringify(input) },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) {
        reject(new Error(`copy probe exited with ${code}`));
        return;
      }
      resolve(JSON.parse(line) as CopyProbeResult);
    });
  });
}

export async function copyFigures(opts: {
  bytes: number;
  log: (line: string) => void;
}): Promise<Figure[]> {
  Object.assign(process.env, LOCAL_CREDENTIALS);
  const region = 'us-east-1';
  const [dynamo, s3sqs, comfy] = await Promise.all([
    startDynamoLocal(),
    startS3Sqs(),
    startComfyStandIn({ executionMs: 100 }),
  ]);
  try {
    const clients = createAwsClients({
      region,
      dynamodbEndpoint: dynamo.endpoint,
      sqsEndpoint: s3sqs.endpoint,
      s3Endpoint: s3sqs.endpoint,
    });
    const names = await bootstrapLocalResources(clients);
    opts.log(`copying ${opts.bytes / MIB} MiB through the poller`);
    const r = await runProbe({
      names,
      dynamodbEndpoint: dynamo.endpoint,
      s3SqsEndpoint: s3sqs.endpoint,
      comfyUrl: comfy.url,
      region,
      bytes: opts.bytes,
      warmupBytes: 16 * MIB,
    });
    if (r.status !== 'succeeded') {
      const why = `the task ended ${r.status}${r.errorCode ? ` (${r.errorCode})` : ''}`;
      return [
        missing('copy_1gib_mb_per_s', 'MiB/s', why),
        missing('copy_1gib_rss_growth_mb', 'MiB', why, TARGET),
      ];
    }
    const peak = Math.max(r.peakSampledRssBytes, r.peakHwmRssBytes ?? 0);
    const details = {
      bytes: r.bytes,
      copy_ms: Math.round(r.copyMs),
      s3_requests: r.s3Requests,
      baseline_rss_mib: Math.round(r.baselineRssBytes / MIB),
      peak_rss_mib: Math.round(peak / MIB),
      peak_sampled_rss_mib: Math.round(r.peakSampledRssBytes / MIB),
      ...(r.peakHwmRssBytes !== undefined
        ? { peak_vmhwm_rss_mib: Math.round(r.peakHwmRssBytes / MIB) }
        : {}),
      rss_samples: r.samples,
      note: 'MB = MiB (2^20 bytes); RSS of the process running submit, status, dispatcher and poller',
    };
    return [
      figure('copy_1gib_mb_per_s', r.bytes / MIB / (r.copyMs / 1000), 'MiB/s', undefined, details),
      figure('copy_1gib_rss_growth_mb', (peak - r.baselineRssBytes) / MIB, 'MiB', TARGET, details),
    ];
  } finally {
    await Promise.allSettled([comfy.stop(), s3sqs.stop(), dynamo.stop()]);
  }
}
