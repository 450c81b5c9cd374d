/**
 * Fails a share of S3 writes at the SDK level: a middleware on the client's `initialize` step (outside
 * the SDK's own retries, so the failure reaches our code) throws an error shaped like S3's
 * `503 SlowDown` for PutObject, multipart calls and CopyObject, with a seeded PRNG. `enabled` turns it
 * off for the drain phase; `failed` counts the writes it broke, by operation.
 */
import type { S3Client } from '@aws-sdk/client-s3';

const WRITES = new Set([
  'PutObjectCommand',
  'CreateMultipartUploadCommand',
  'UploadPartCommand',
  'CompleteMultipartUploadCommand',
  'CopyObjectCommand',
]);

export interface S3WriteFaults {
  enabled: boolean;
  readonly failed: Map<string, number>;
  total(): number;
}

type Next = (args: unknown) => Promise<unknown>;

export function injectS3WriteFaults(
  client: S3Client,
  opts: { probability: number; random: () => number },
): S3WriteFaults {
  const faults: S3WriteFaults = {
    enabled: true,
    failed: new Map(),
    total: () => [...faults.failed.values()].reduce((a, b) => a + b, 0),
  };
  client.middlewareStack.add(
    ((next: Next, context: { commandName?: string }) => async (args: unknown) => {
      const op = context.commandName ?? '';
      if (faults.enabled && WRITES.has(op) && opts.random() < opts.probability) {
        faults.failed.set(op, (faults.failed.get(op) ?? 0) + 1);
        throw Object.assign(new Error('Please reduce your request rate. (injected)'), {
          name: 'SlowDown',
          $fault: 'server',
          $metadata: { httpStatusCode: 503, attempts: 1 },
        });
      }
      return next(args);
    }) as never,
    { step: 'initialize', name: 'chaosS3WriteFaults', override: true },
  );
  return faults;
}
