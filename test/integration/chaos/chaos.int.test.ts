/**
 * The chaos run of `npm run chaos`, smaller (36 tasks, shorter fault window), on the shared
 * emulators: the stand-in restarting, ComfyUI calls failing, SQS duplicates, two pollers, S3 write
 * faults, killed submits, S3 writes denied for good for some tasks, one crash of the whole runtime,
 * webhook receivers failing at random (500, hanging, reset); then a drain. Every invariant of test/chaos/report.ts must hold, and the functions' logs
 * must hold no API key, JWT or presigned signature. The seed is printed; CHAOS_SEED repeats a run.
 * The same run again with the GPU fleet on (`npm run chaos -- --fleet`, 30 tasks): servers start
 * from zero, are killed at random (busy ones) and scale in during the run; no busy server is stopped
 * by the fleet, and it is back to zero at the end.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { runChaos } from '../../chaos/harness.js';
import { findSecrets } from '../../helpers/capture-output.js';

const SEED = Number(process.env.CHAOS_SEED) || 20_260_101;

describe('chaos (CI size)', () => {
  it('ends every task, loses and mixes up no output, runs no prompt twice but after a lost run', async () => {
    // Act
    const result = await runChaos({
      tasks: 36,
      seed: SEED,
      endpoints: { dynamodb: inject('dynamodbEndpoint'), s3sqs: inject('s3SqsEndpoint') },
      restartEveryMs: 2500,
      s3FaultRate: 0.2,
      // Enough for a few at this size: killed submits, tasks denied S3 writes for good. Denial is
      // drawn per task id (random) and counts only for tasks that get to write (about 25 of 36 here):
      // at 10% a run had none one time in about 14, at 20% one in about 250.
      submitKillShare: 0.1,
      s3DeniedShare: 0.2,
      s3DeniedAtLeastOne: true,
      minChaosMs: 10_000,
      drainTimeoutMs: 90_000,
    });
    // Assess
    console.log(result.text);
    if (result.report.violations.length > 0) {
      // Keep the functions' logs for the post-mortem.
      const dir = join(import.meta.dirname, '..', '..', '..', '.local', 'chaos');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `ci-logs-${SEED}.jsonl`), result.logs);
      console.log(`logs: .local/chaos/ci-logs-${SEED}.jsonl`);
    }
    expect(result.report.violations).toEqual([]);
    expect(findSecrets(result.logs)).toEqual([]);
    // The faults really happened (a run without them proves nothing).
    const f = result.input.faults;
    expect(f.restarts).toBeGreaterThan(0);
    expect(Object.values(f.comfyFaults).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(f.sqsDuplicatesInBatch + f.sqsDuplicatesResent).toBeGreaterThan(0);
    expect(f.pollerInvocations.pollerB).toBeGreaterThan(0);
    expect(f.runtimeCrashes).toBe(1);
    expect(f.submitsKilled.size).toBeGreaterThan(0);
    expect(f.s3DeniedTasks.size).toBeGreaterThan(0);
    expect(f.sweeperResends).toBeGreaterThan(0);
    expect(result.report.statuses.succeeded ?? 0).toBeGreaterThan(0);
    const w = result.input.webhooks.faults;
    expect(w.status500 + w.hang + w.reset).toBeGreaterThan(0);
    expect(result.report.webhooksDelivered).toBe(
      Object.entries(result.report.statuses)
        .filter(([status]) => ['succeeded', 'failed', 'cancelled'].includes(status))
        .reduce((n, [, count]) => n + count, 0),
    );
  }, 240_000);
});

describe('chaos with the GPU fleet on (CI size)', () => {
  it('keeps every invariant while servers start, are killed at random and scale in; never stops a busy one', async () => {
    // Act
    const result = await runChaos({
      tasks: 30,
      seed: SEED,
      endpoints: { dynamodb: inject('dynamodbEndpoint'), s3sqs: inject('s3SqsEndpoint') },
      restartEveryMs: 2500,
      minChaosMs: 10_000,
      drainTimeoutMs: 90_000,
      // Prompts long enough that servers hold some when the kills come (the submits are done within
      // seconds; after the crash most tasks wait for the sweeper).
      executionMs: 300,
      // A warm pool: servers stopped for being idle start again under the same name and address.
      fleet: {
        minGpus: 0,
        maxGpus: 3,
        bootMs: 1000,
        idleMs: 1500,
        killEveryMs: 2500,
        warmPool: true,
      },
    });
    // Assess
    console.log(result.text);
    if (result.report.violations.length > 0) {
      const dir = join(import.meta.dirname, '..', '..', '..', '.local', 'chaos');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `ci-fleet-logs-${SEED}.jsonl`), result.logs);
      console.log(`logs: .local/chaos/ci-fleet-logs-${SEED}.jsonl`);
    }
    expect(result.report.violations).toEqual([]);
    expect(findSecrets(result.logs)).toEqual([]);
    const fleet = result.input.fleet;
    expect(fleet?.busyStops).toBe(0);
    expect(fleet?.liveAtEnd).toBe(0);
    // The fleet really scaled and lost servers (a run without it proves nothing).
    expect(fleet?.peakReady).toBeGreaterThan(1);
    expect(fleet?.stopped['scale-in'] ?? 0).toBeGreaterThan(0);
    expect(fleet?.killed).toBeGreaterThan(0);
    expect(fleet?.heldByKilled.size).toBeGreaterThan(0);
    expect(fleet?.requeuedFromKilled).toBeGreaterThan(0);
    expect(result.input.faults.restarts).toBeGreaterThan(0);
    expect(result.input.faults.runtimeCrashes).toBe(1);
    expect(result.report.statuses.succeeded ?? 0).toBeGreaterThan(0);
  }, 240_000);
});
