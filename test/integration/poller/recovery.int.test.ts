/**
 * The poller when things go wrong: ComfyUI restarts, a copy breaks half-way, two pollers run at once.
 */
import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps as buildPollerDeps } from '../../../functions/poller/deps.js';
import { createHandler } from '../../../functions/poller/handler.js';
import type { ComfyWorkflow } from '../../../shared/domain/task.js';
import { pollTasks } from '../../../shared/use-cases/poll-tasks.js';
import { emptyToSave } from '../comfyui/workflows.js';
import { type PollerRig, pollerRig } from './rig.js';

const terminal = (t: { status: string }) => ['succeeded', 'failed', 'cancelled'].includes(t.status);

const twoLarge = (prefix: string): ComfyWorkflow => ({
  '1': {
    class_type: 'StandInLargeOutput',
    inputs: { size_bytes: 2_000_000, filename_prefix: `${prefix}a`, extension: 'bin' },
  },
  '2': {
    class_type: 'StandInLargeOutput',
    inputs: {
      size_bytes: 700_000,
      filename_prefix: `${prefix}b`,
      ui_key: 'videos',
      extension: 'webm',
    },
  },
});

async function keysUnder(rig: PollerRig, taskId: string): Promise<string[]> {
  const out = await rig.stack.clients.s3.send(
    new ListObjectsV2Command({
      Bucket: rig.stack.names.bucket,
      Prefix: `outputs/alice/${taskId}/`,
    }),
  );
  return (out.Contents ?? []).map((o) => o.Key ?? '').sort();
}

describe('poller recovery with the ComfyUI stand-in', () => {
  let rig: PollerRig;
  beforeAll(async () => {
    rig = await pollerRig({ MAX_REQUEUES: '2' });
  });
  afterAll(async () => {
    await rig.close();
  });

  it('re-queues a task ComfyUI lost in a restart, and it succeeds after the next dispatch', async () => {
    // Prepare: a task running at ComfyUI
    const taskId = randomUUID();
    rig.comfy.control.setExecutionMsFor(taskId, 30_000);
    await rig.submit(emptyToSave('lost', 9), { taskId });
    await rig.pollUntil(taskId, (t) => t.status === 'running');
    // Act: ComfyUI restarts and forgets it
    await rig.comfy.control.restart();
    const requeued = await rig.pollUntil(taskId, (t) => t.status !== 'running');
    // Assess
    expect(requeued).toMatchObject({ status: 'queued', requeues: 1, missingPolls: 0 });
    expect(requeued.comfyServer).toBeUndefined();
    expect(await rig.receiveDispatchMessages()).toContain(taskId);
    rig.comfy.control.setExecutionMsFor(taskId, 50);
    expect(await rig.dispatch(taskId)).toBe('dispatched');
    const done = await rig.pollUntil(taskId, terminal);
    expect(done).toMatchObject({ status: 'succeeded', requeues: 1 });
    expect(done.outputs).toHaveLength(1);
  });

  it('completes a copy that broke half-way on the next poll, with exactly one object per output', async () => {
    // Prepare: the run is finished at ComfyUI; the first /view of it will be cut after 300 kB
    const task = await rig.submit(twoLarge('cut'));
    await rig.comfy.control.idle();
    const fault = rig.comfy.control.injectFault({
      route: '/view',
      kind: 'truncate',
      afterBytes: 300_000,
      count: 1,
    });
    // Act
    const first = await rig.poll();
    const between = await rig.get(task.taskId);
    const leftover = await keysUnder(rig, task.taskId);
    const done = await rig.pollUntil(task.taskId, terminal);
    rig.comfy.control.removeFault(fault);
    // Assess
    expect(first.tasks.find((t) => t.taskId === task.taskId)?.outcome).toMatch(/unreachable|error/);
    expect(between.status).not.toBe('succeeded');
    expect(between.outputs).toEqual([]);
    expect(leftover.length).toBeLessThan(2);
    expect(done.status).toBe('succeeded');
    const keys = await keysUnder(rig, task.taskId);
    expect(keys).toEqual(done.outputs.map((o) => o.s3Key).sort());
    expect(keys).toHaveLength(2);
    expect(done.outputs.map((o) => o.size).sort()).toEqual([2_000_000, 700_000]);
  });

  it('lets two pollers without a lease run at once: one write wins, each output is stored once', async () => {
    const task = await rig.submit(twoLarge('twice'));
    await rig.comfy.control.idle();
    const other = buildPollerDeps(rig.stack.config(rig.configOverrides), rig.stack.clients);
    const reports = await Promise.all([pollTasks(rig.deps), pollTasks(other)]);
    const outcomes = reports.map((r) => r.tasks.find((t) => t.taskId === task.taskId)?.outcome);
    const done = await rig.pollUntil(task.taskId, terminal);
    expect(outcomes.filter((o) => o === 'succeeded')).toHaveLength(1);
    expect(done.status).toBe('succeeded');
    expect(await keysUnder(rig, task.taskId)).toEqual(done.outputs.map((o) => o.s3Key).sort());
  });

  it('lets only one of two poller invocations poll while the other holds the lease', async () => {
    const task = await rig.submit(emptyToSave('lease', 10));
    const handler = (id: string) =>
      createHandler({
        ...buildPollerDeps(rig.stack.config(rig.configOverrides), rig.stack.clients),
        loop: { pollIntervalMs: 50, runMs: 20_000, leaseMs: 15_000 },
        metrics: { addMetric: () => {}, publishStoredMetrics: () => {} },
      })({}, { awsRequestId: id, getRemainingTimeInMillis: () => 60_000 });
    const [a, b] = await Promise.all([handler('inv-a'), handler('inv-b')]);
    const held = [a, b].filter((r) => r.stoppedBecause === 'lease-held');
    const ran = [a, b].filter((r) => r.stoppedBecause !== 'lease-held');
    expect(held).toHaveLength(1);
    expect(ran).toHaveLength(1);
    expect(ran[0]?.polls).toBeGreaterThan(0);
    expect((await rig.get(task.taskId)).status).toBe('succeeded');
  });
});
