/**
 * What `--persist` keeps across restarts. DynamoDB Local writes its database to `<dataDir>/dynamodb`
 * by itself (-dbPath), continuously. fauxqs keeps S3 and SQS in memory only, so on a clean stop we
 * snapshot them here and load the snapshot at the next start:
 * - S3: every object of the outputs bucket (key, bytes, content type), under `<dataDir>/s3/`;
 * - SQS: the messages of the dispatch and dead-letter queues (ready, delayed and in flight), with
 *   their bodies and attributes, to `<dataDir>/sqs.json`. They come back as new messages: new ids,
 *   receive counts reset, visible at once.
 * A crash or `kill -9` skips the snapshot: objects and messages since the last clean start are
 * lost then (the tasks in DynamoDB stay; the dispatcher and poller treat them as they would after
 * any loss). ComfyUI's own queue and history are in memory in the real server too, and are lost on
 * restart just the same; the poller re-queues tasks ComfyUI forgot.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  type MessageAttributeValue,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { FauxqsServer } from 'fauxqs';

interface SavedObject {
  key: string;
  file: string;
  contentType?: string;
}
interface SavedMessage {
  body: string;
  attributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
}
export interface SnapshotTarget {
  s3: S3Client;
  sqs: SQSClient;
  fauxqs: FauxqsServer;
  bucket: string;
  /** Queue name -> URL. */
  queues: Record<string, string>;
}

export async function saveSnapshot(
  dataDir: string,
  t: SnapshotTarget,
): Promise<{ objects: number; messages: number }> {
  const s3Dir = join(dataDir, 's3');
  const staging = `${s3Dir}.new`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const objects: SavedObject[] = [];
  let token: string | undefined;
  do {
    const page = await t.s3.send(
      new ListObjectsV2Command({ Bucket: t.bucket, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) {
      if (!o.Key) continue;
      const file = join('objects', String(objects.length));
      const got = await t.s3.send(new GetObjectCommand({ Bucket: t.bucket, Key: o.Key }));
      const bytes = await got.Body?.transformToByteArray();
      mkdirSync(dirname(join(staging, file)), { recursive: true });
      writeFileSync(join(staging, file), bytes ?? new Uint8Array());
      objects.push({
        key: o.Key,
        file,
        ...(got.ContentType ? { contentType: got.ContentType } : {}),
      });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  writeFileSync(join(staging, 'manifest.json'), JSON.stringify(objects));
  rmSync(s3Dir, { recursive: true, force: true });
  renameSync(staging, s3Dir);

  const queues: Record<string, SavedMessage[]> = {};
  let messages = 0;
  for (const name of Object.keys(t.queues)) {
    const q = t.fauxqs.inspectQueue(name);
    if (!q) continue;
    const all = [
      ...q.messages.ready,
      ...q.messages.delayed,
      ...q.messages.inflight.map((i) => i.message),
    ];
    queues[name] = all.map((m) => ({ body: m.body, attributes: m.messageAttributes }));
    messages += all.length;
  }
  writeFileSync(join(dataDir, 'sqs.json.new'), JSON.stringify(queues));
  renameSync(join(dataDir, 'sqs.json.new'), join(dataDir, 'sqs.json'));
  return { objects: objects.length, messages };
}

export async function loadSnapshot(
  dataDir: string,
  t: SnapshotTarget,
): Promise<{ objects: number; messages: number }> {
  let objects = 0;
  let messages = 0;
  const s3Dir = join(dataDir, 's3');
  const manifest = join(s3Dir, 'manifest.json');
  if (existsSync(manifest)) {
    for (const o of JSON.parse(readFileSync(manifest, 'utf8')) as SavedObject[]) {
      const path = resolve(s3Dir, o.file);
      if (relative(s3Dir, path).startsWith('..') || !existsSync(path)) continue;
      await t.s3.send(
        new PutObjectCommand({
          Bucket: t.bucket,
          Key: o.key,
          Body: readFileSync(path),
          ...(o.contentType ? { ContentType: o.contentType } : {}),
        }),
      );
      objects++;
    }
  }
  const sqsFile = join(dataDir, 'sqs.json');
  if (existsSync(sqsFile)) {
    const saved = JSON.parse(readFileSync(sqsFile, 'utf8')) as Record<string, SavedMessage[]>;
    for (const [name, list] of Object.entries(saved)) {
      const url = t.queues[name];
      if (!url) continue;
      for (const m of list) {
        const attrs: Record<string, MessageAttributeValue> = {};
        for (const [k, v] of Object.entries(m.attributes ?? {})) {
          attrs[k] = {
            DataType: v.DataType,
            ...(v.StringValue !== undefined ? { StringValue: v.StringValue } : {}),
            ...(v.BinaryValue !== undefined
              ? { BinaryValue: Buffer.from(v.BinaryValue, 'base64') }
              : {}),
          };
        }
        await t.sqs.send(
          new SendMessageCommand({
            QueueUrl: url,
            MessageBody: m.body,
            ...(Object.keys(attrs).length ? { MessageAttributes: attrs } : {}),
          }),
        );
        messages++;
      }
    }
    rmSync(sqsFile);
  }
  return { objects, messages };
}
