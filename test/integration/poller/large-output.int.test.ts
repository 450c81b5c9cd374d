/**
 * A 500 MB output is streamed from the stand-in's /view into S3 (multipart) by a poller whose RSS,
 * sampled every 10 ms in its own process, grows by less than 64 MB.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComfyWorkflow } from '../../../shared/domain/task.js';
import { type PollerRig, pollerRig } from './rig.js';

const SIZE = 500 * 1024 * 1024;
const MB = 1024 * 1024;

const largeOutput = (bytes: number, prefix: string): ComfyWorkflow => ({
  '1': {
    class_type: 'StandInLargeOutput',
    inputs: { size_bytes: bytes, filename_prefix: prefix, ui_key: 'videos', extension: 'mp4' },
  },
});

function startChild(env: Record<string, string>) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'test/integration/poller/large-copy-child.ts'],
    { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const queue: Record<string, unknown>[] = [];
  let waiter: (() => void) | undefined;
  lines.on('line', (l) => {
    if (!l.startsWith('{')) return;
    queue.push(JSON.parse(l));
    waiter?.();
  });
  const next = async () => {
    while (queue.length === 0) await new Promise<void>((r) => (waiter = r));
    return queue.shift() as Record<string, unknown>;
  };
  return { child, next, go: () => child.stdin?.write('go\n') };
}

describe('poller copying a 500 MB output', () => {
  let rig: PollerRig;
  beforeAll(async () => {
    rig = await pollerRig({ LOG_LEVEL: 'SILENT' }, { executionMs: 10 });
  });
  afterAll(async () => {
    await rig.close();
  });

  it('streams it into S3 with the poller RSS growing by less than 64 MB', async () => {
    // Prepare: a warm-up task (20 MB: multipart too) so the child's baseline has every module loaded
    const warm = await rig.submit(largeOutput(20 * MB, 'warm'));
    await rig.comfy.control.idle();
    const { child, next, go } = startChild(rig.stack.env(rig.configOverrides));
    try {
      const ready = await next();
      expect((await rig.get(warm.taskId)).status).toBe('succeeded');
      const big = await rig.submit(largeOutput(SIZE, 'big'));
      await rig.comfy.control.idle();
      // Act
      go();
      const done = (await next()) as { baselineRss: number; peakRss: number; ms: number };
      // Assess
      const task = await rig.get(big.taskId);
      expect(task.status).toBe('succeeded');
      const key = task.outputs[0]?.s3Key ?? '';
      const head = await rig.stack.clients.s3.send(
        new HeadObjectCommand({ Bucket: rig.stack.names.bucket, Key: key }),
      );
      expect(head.ContentLength).toBe(SIZE);
      expect(task.outputs[0]?.size).toBe(SIZE);
      const growth = done.peakRss - done.baselineRss;
      console.log(
        `500 MB copy: ${done.ms} ms, poller RSS baseline ${(done.baselineRss / MB).toFixed(1)} MB, ` +
          `peak ${(done.peakRss / MB).toFixed(1)} MB, growth ${(growth / MB).toFixed(1)} MB ` +
          `(ready at ${((ready.baselineRss as number) / MB).toFixed(1)} MB)`,
      );
      expect(growth).toBeLessThan(64 * MB);
      await rig.stack.clients.s3.send(
        new DeleteObjectCommand({ Bucket: rig.stack.names.bucket, Key: key }),
      );
    } finally {
      child.kill();
    }
  }, 300_000);
});
