/**
 * Fills a tasks table with finished tasks, fast: BatchWriteItem straight into DynamoDB, each item in
 * the exact layout the repository writes (shared/adapters/dynamodb/task-item.ts `toItem`).
 */
import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { gzipWorkflow, toItem } from '../../shared/adapters/dynamodb/task-item.js';
import { ownerSegment } from '../../shared/domain/owner.js';
import type { Task } from '../../shared/domain/task.js';
import { imageWorkflow } from './workflows.js';

function finishedTask(i: number, owners: number, now: number): Task {
  const taskId = randomUUID();
  const owner = `done-${i % owners}`;
  const at = (msAgo: number) => new Date(now - msAgo).toISOString();
  const created = 3_600_000 + (i % 3_000_000);
  return {
    taskId,
    owner,
    status: 'succeeded',
    createdAt: at(created),
    updatedAt: at(created - 2000),
    dispatchedAt: at(created - 100),
    startedAt: at(created - 500),
    finishedAt: at(created - 2000),
    workflow: imageWorkflow('done', i),
    comfyServer: 'http://127.0.0.1:8188',
    comfyNumber: i,
    requeues: 0,
    missingPolls: 0,
    outputs: [
      {
        nodeId: '2',
        filename: `done-${i}_00001_.png`,
        subfolder: 'bench',
        type: 'output',
        s3Key: `outputs/${ownerSegment(owner)}/${taskId}/2/done-${i}_00001_.png`,
        contentType: 'image/png',
        size: 1234,
      },
    ],
    version: 5,
  };
}

/** Writes `count` finished tasks; returns the time it took in ms. */
export async function loadFinishedTasks(
  doc: DynamoDBDocumentClient,
  tableName: string,
  count: number,
  opts: { concurrency?: number; owners?: number; onProgress?: (written: number) => void } = {},
): Promise<number> {
  const started = performance.now();
  const now = Date.now();
  const expiresAt = Math.floor(now / 1000) + 30 * 86_400;
  let next = 0;
  let written = 0;
  const worker = async () => {
    while (next < count) {
      const from = next;
      next = Math.min(count, next + 25);
      let requests = Array.from({ length: next - from }, (_, k) => {
        const task = finishedTask(from + k, opts.owners ?? 100, now);
        return {
          PutRequest: {
            Item: toItem(task, { workflowGz: gzipWorkflow(task.workflow) }, expiresAt),
          },
        };
      });
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
        const out = await doc.send(
          new BatchWriteCommand({ RequestItems: { [tableName]: requests } }),
        );
        const left = out.UnprocessedItems?.[tableName] ?? [];
        written += requests.length - left.length;
        requests = left as typeof requests;
      }
      if (written % 10_000 < 25) opts.onProgress?.(written);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
  return performance.now() - started;
}
