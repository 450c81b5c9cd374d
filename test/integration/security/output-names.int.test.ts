/**
 * Hostile output names end to end: a ComfyUI that reports file names and node ids with `..`, absolute
 * paths, NUL and control characters, bidi overrides, odd Unicode and very long names; the real
 * HttpComfyClient reads its history and `/view`; the poller's copy stores the files in S3 (fauxqs).
 * Whatever the names, every object lands under the task's own prefix, one object per distinct file,
 * with the bytes ComfyUI served, and never with a content type a browser would run.
 */
import { randomUUID } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpComfyClient } from '../../../shared/adapters/comfyui/http-comfy-client.js';
import { S3ArtifactStore } from '../../../shared/adapters/s3/artifact-store.js';
import { ownerSegment } from '../../../shared/domain/owner.js';
import { createLimiter } from '../../../shared/limiter.js';
import { copyOutputs } from '../../../shared/poller/copy-outputs.js';
import { OutputMissingError } from '../../../shared/poller/failures.js';
import type { TaskSummary } from '../../../shared/ports/task-repository.js';
import { keys } from '../../../shared/resources.js';
import {
  type HostileComfy,
  type HostileFile,
  startHostileComfy,
} from '../../helpers/hostile-comfy.js';
import { createTestStack, type TestStack } from '../../helpers/stack.js';

const SEED = 90_210;

const nastyName = fc.oneof(
  fc.constantFrom(
    '../../../etc/passwd',
    '..',
    '.',
    '/',
    '/abs/out.png',
    '\\\\server\\share\\x.png',
    'C:\\Windows\\x.png',
    '..%2f..%2fx.png',
    'a/../../b.png',
    'x.png\u0000.html',
    'evil\u202egnp.exe',
    '\u200b\u200b',
    'ｆｕｌｌ／ｗｉｄｔｈ．png',
    'e\u0301\u0301\u0301.png',
    '😀'.repeat(120),
    `${'a'.repeat(2000)}.png`,
    'index.html',
    'x.svg',
    ' .png',
    '\r\n.png',
    'outputs/other-owner/x.png',
    'lone\uD800surrogate.png',
    '\uDCFF\uDCFE.png',
  ),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }),
);
const nastySegment = fc.oneof(
  fc.constantFrom('', '..', '../..', '/etc', 'a/../../..', '\u0000', '9'),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const aFile = fc.record({
  nodeId: fc.oneof(
    fc.constantFrom('9', '12:3', '..', '../9', '/', ''),
    fc.string({ maxLength: 80 }),
  ),
  filename: nastyName,
  subfolder: nastySegment,
  type: fc.constantFrom('output', 'temp', '../output', 'input'),
  contentType: fc.constantFrom('image/png', 'text/html', 'image/svg+xml', 'application/javascript'),
});
const anOwner = fc.constantFrom('alice', 'auth0|user/../bob', '..', 'a/b', 'x'.repeat(300));

describe('output names from ComfyUI never escape the task prefix', () => {
  let stack: TestStack;
  let comfy: HostileComfy;
  let client: HttpComfyClient;
  let store: S3ArtifactStore;

  beforeAll(async () => {
    stack = await createTestStack();
    comfy = await startHostileComfy();
    client = HttpComfyClient.create({ baseUrl: comfy.url, retry: { retries: 0 } });
    store = new S3ArtifactStore({ client: stack.clients.s3, bucket: stack.names.bucket });
  });
  afterAll(async () => {
    await client.close();
    await comfy.close();
  });

  const listAll = async (): Promise<string[]> => {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await stack.clients.s3.send(
        new ListObjectsV2Command({ Bucket: stack.names.bucket, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) if (o.Key) out.push(o.Key);
      token = page.NextContinuationToken;
    } while (token);
    return out;
  };
  const read = async (key: string) => {
    const out = await stack.clients.s3.send(
      new GetObjectCommand({ Bucket: stack.names.bucket, Key: key }),
    );
    return {
      bytes: Buffer.from(
        await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      ),
      contentType: out.ContentType ?? '',
    };
  };

  it('stores each distinct file once, under outputs/<owner>/<taskId>/, with its own bytes', async () => {
    let stored = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        anOwner,
        fc.array(aFile, { minLength: 1, maxLength: 5 }),
        async (owner, specs) => {
          // Prepare: a finished run whose files carry the hostile names, each with distinct bytes.
          const taskId = randomUUID();
          const files: HostileFile[] = specs.map((s, i) => ({
            ...s,
            bytes: Buffer.from(`${taskId}:${i}:${s.filename}`),
          }));
          comfy.setRun(taskId, files);
          const before = new Set(await listAll());
          const task = { taskId, owner } as TaskSummary;
          // Act
          const run = await client.getHistory(taskId);
          expect(run).toBeDefined();
          let outputs: Awaited<ReturnType<typeof copyOutputs>> = [];
          try {
            outputs = await copyOutputs(
              { comfy: client, artifacts: store, limiter: createLimiter(2) },
              task,
              run as NonNullable<typeof run>,
            );
          } catch (err) {
            // A name ComfyUI cannot serve back (e.g. a lone surrogate does not survive URL encoding)
            // fails the task as a missing output; nothing else may go wrong.
            expect(err).toBeInstanceOf(OutputMissingError);
            refused++;
          }
          // Assess
          const prefix = keys.outputPrefix(ownerSegment(owner), taskId);
          const added = (await listAll()).filter((k) => !before.has(k));
          for (const key of added) {
            expect(key.startsWith(prefix)).toBe(true);
            const rest = key.slice(prefix.length).split('/');
            expect(rest).toHaveLength(2);
            expect(rest.every((seg) => seg !== '' && seg !== '.' && seg !== '..')).toBe(true);
            expect(Buffer.byteLength(key)).toBeLessThanOrEqual(1024);
          }
          if (outputs.length > 0) {
            const distinct = new Map(
              files.map((f) => [JSON.stringify([f.nodeId, f.type, f.subfolder, f.filename]), f]),
            );
            expect(outputs).toHaveLength(distinct.size);
            expect(new Set(outputs.map((o) => o.s3Key)).size).toBe(outputs.length);
            expect(added.sort()).toEqual(outputs.map((o) => o.s3Key).sort());
            // /view knows a file by (filename, subfolder, type) only: the last one reported wins.
            const served = new Map(
              files.map((f) => [JSON.stringify([f.type, f.subfolder, f.filename]), f.bytes]),
            );
            for (const o of outputs) {
              const bytes = served.get(JSON.stringify([o.type, o.subfolder, o.filename]));
              const obj = await read(o.s3Key);
              expect(obj.bytes.equals(bytes ?? Buffer.alloc(0))).toBe(true);
              expect(obj.contentType).not.toMatch(/html|javascript|svg|xml/i);
            }
            stored += outputs.length;
          }
        },
      ),
      { seed: SEED, numRuns: 40 },
    );
    // The run exercised the store path, not only refusals.
    expect(stored).toBeGreaterThan(20);
    expect(refused).toBeLessThan(40);
  });
});
