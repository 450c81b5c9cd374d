import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { bodyOf } from '../../helpers/api-events.js';
import { type ApiStack, createApiStack } from '../../helpers/api-stack.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

const loadImage = (uploadId: string) => ({
  workflow: {
    '1': { class_type: 'LoadImage', inputs: { image: `upload:${uploadId}` } },
    '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } },
  },
});

describe('POST /v1/uploads, a presigned PUT, then a task that uses the image', () => {
  let api: ApiStack;
  beforeAll(async () => {
    api = await createApiStack({ UPLOAD_MAX_BYTES: '1024' });
  });

  async function announce(owner: string, size = PNG.length) {
    const res = await api.upload({ filename: 'cat.png', contentType: 'image/png', size }, owner);
    expect(res.statusCode).toBe(201);
    return bodyOf(res) as { uploadId: string; url: string; headers: Record<string, string> };
  }

  it('stores the image under the owner and accepts a task referencing it', async () => {
    // Prepare
    const up = await announce('uploader');
    const before = await api.submit(loadImage(up.uploadId), { owner: 'uploader' });
    // Act: the client PUTs the image with the headers it was given.
    const put = await fetch(up.url, { method: 'PUT', headers: up.headers, body: PNG });
    const raw = await api.submit(loadImage(up.uploadId), { owner: 'uploader' });
    const templated = await api.submit(
      { template: 'img2img', params: { prompt: 'x', image: up.uploadId } },
      { owner: 'uploader' },
    );
    // Assess
    expect(before.statusCode).toBe(409);
    expect(bodyOf(before).error.code).toBe('UPLOAD_INCOMPLETE');
    expect(put.status).toBe(200);
    const key = `uploads/uploader/${up.uploadId}`;
    const object = await api.stack.clients.s3.send(
      new GetObjectCommand({ Bucket: api.stack.names.bucket, Key: key }),
    );
    expect(Buffer.from((await object.Body?.transformToByteArray()) ?? [])).toEqual(PNG);
    expect(raw.statusCode).toBe(202);
    expect(templated.statusCode).toBe(202);
    const task = await api.deps.tasks.get(bodyOf(templated).taskId);
    expect(task?.workflow['10']?.inputs.image).toBe(`upload:${up.uploadId}`);
    const record = await api.stack.clients.doc.send(
      new GetCommand({
        TableName: api.stack.names.tasksTable,
        Key: { pk: `UPLOAD#${up.uploadId}` },
      }),
    );
    expect(record.Item).toMatchObject({ owner: 'uploader', s3Key: key, contentType: 'image/png' });
    expect(record.Item?.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it("answers another owner's upload like an unknown one", async () => {
    const up = await announce('owner-a');
    await fetch(up.url, { method: 'PUT', headers: up.headers, body: PNG });
    const res = await api.submit(loadImage(up.uploadId), { owner: 'owner-b' });
    expect(res.statusCode).toBe(404);
    expect(bodyOf(res).error).toMatchObject({
      code: 'UPLOAD_NOT_FOUND',
      message: `No upload ${up.uploadId} was found.`,
    });
  });

  it('refuses non-images and images over UPLOAD_MAX_BYTES, recording nothing', async () => {
    const before = await api.tableItems();
    const pdf = await api.upload({ filename: 'a.pdf', contentType: 'application/pdf', size: 10 });
    const huge = await api.upload({ filename: 'a.png', contentType: 'image/png', size: 1025 });
    expect([pdf.statusCode, bodyOf(pdf).error.code]).toEqual([400, 'UNSUPPORTED_UPLOAD_TYPE']);
    expect([huge.statusCode, bodyOf(huge).error.code]).toEqual([413, 'UPLOAD_TOO_LARGE']);
    expect(await api.tableItems()).toBe(before);
  });
});
