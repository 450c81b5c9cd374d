/**
 * An S3 permission failure that never heals, for some tasks: a middleware on the workers' S3 client
 * answers every write under a chosen task's output prefix with an error shaped like S3's `403
 * AccessDenied` (as a bucket policy or a missing grant would), for the whole run, drain included.
 * Which tasks: a seeded hash of the task id, so a run is repeatable (task ids being random, a small
 * run may draw none: `atLeastOne` then denies the first task that writes). Those tasks must end `failed
 * OUTPUT_COPY_FAILED`, with nothing listed and nothing left under their prefix.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';

const WRITES = new Set([
  'PutObjectCommand',
  'CreateMultipartUploadCommand',
  'UploadPartCommand',
  'CompleteMultipartUploadCommand',
]);

export interface S3Denied {
  /** Whether writes for this task are denied (decided once, from the seed). */
  denies(taskId: string): boolean;
  /** Task ids whose writes were denied at least once. */
  readonly tasks: Set<string>;
  /** Writes denied. */
  denied: number;
}

type Next = (args: unknown) => Promise<unknown>;

export function injectS3Denied(
  client: S3Client,
  opts: { share: number; seed: number; atLeastOne?: boolean },
): S3Denied {
  // Decided once per task, at its first write: every later write of it gets the same answer.
  const decided = new Map<string, boolean>();
  const denies = (taskId: string) => {
    const known = decided.get(taskId);
    if (known !== undefined) return known;
    const h = createHash('sha256').update(`${opts.seed}:${taskId}`).digest();
    const drawn = h.readUInt32BE(0) / 0x1_0000_0000 < opts.share;
    const deny = drawn || (opts.atLeastOne === true && ![...decided.values()].some(Boolean));
    decided.set(taskId, deny);
    return deny;
  };
  const state: S3Denied = { denies, tasks: new Set(), denied: 0 };
  client.middlewareStack.add(
    ((next: Next, context: { commandName?: string }) => async (args: unknown) => {
      const key = (args as { input?: { Key?: unknown } }).input?.Key;
      if (WRITES.has(context.commandName ?? '') && typeof key === 'string') {
        const [root, , taskId] = key.split('/');
        if (root === 'outputs' && taskId && denies(taskId)) {
          state.denied++;
          state.tasks.add(taskId);
          throw Object.assign(new Error('Access Denied (injected)'), {
            name: 'AccessDenied',
            $fault: 'client',
            $metadata: { httpStatusCode: 403, attempts: 1 },
          });
        }
      }
      return next(args);
    }) as never,
    { step: 'initialize', name: 'chaosS3Denied', override: true },
  );
  return state;
}
