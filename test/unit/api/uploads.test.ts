import { describe, expect, it } from 'vitest';
import { createHandler as createUploadHandler } from '../../../functions/create-upload/handler.js';
import { createHandler as createSubmit } from '../../../functions/submit/handler.js';
import { apiTestDeps } from '../../helpers/api-deps.js';
import { apiEvent, bodyOf, lambdaContext } from '../../helpers/api-events.js';

function setup() {
  const deps = apiTestDeps({ uploadMaxBytes: 1000 });
  const upload = (body: unknown, owner = 'alice') =>
    createUploadHandler(deps)(
      apiEvent({ method: 'POST', path: '/v1/uploads', body, owner }),
      lambdaContext(),
    );
  const submit = (body: unknown, owner = 'alice') =>
    createSubmit(deps)(
      apiEvent({ method: 'POST', path: '/v1/tasks', body, owner }),
      lambdaContext(),
    );
  return { deps, upload, submit };
}

const png = { filename: 'cat.png', contentType: 'image/png', size: 4 };

describe('POST /v1/uploads', () => {
  it('records the upload for its owner and answers a presigned PUT for exactly that image', async () => {
    // Prepare
    const { deps, upload } = setup();
    // Act
    const res = await upload({ ...png, filename: '../../etc/my cat.png' });
    // Assess
    expect(res.statusCode).toBe(201);
    const body = bodyOf(res);
    expect(body).toMatchObject({ maxBytes: 1000, headers: { 'content-type': 'image/png' } });
    expect(body.expiresAt).toBe(new Date(deps.clock.now() + 900_000).toISOString());
    const record = await deps.uploads.get(body.uploadId);
    expect(record).toMatchObject({
      owner: 'alice',
      s3Key: `uploads/alice/${body.uploadId}`,
      filename: 'my_cat.png',
      contentType: 'image/png',
      size: 4,
    });
    const put = (ct: string, bytes: string) =>
      deps.artifacts.usePresigned(body.url, { method: 'PUT', contentType: ct, body: bytes }).status;
    expect(put('image/jpeg', 'abcd')).toBe(403);
    expect(put('image/png', 'abcde')).toBe(403);
    expect(put('image/png', 'abcd')).toBe(200);
  });

  it.each<[string, unknown, number, string]>([
    [
      'a non-image type',
      { ...png, contentType: 'application/pdf' },
      400,
      'UNSUPPORTED_UPLOAD_TYPE',
    ],
    ['a size over the limit', { ...png, size: 1001 }, 413, 'UPLOAD_TOO_LARGE'],
    ['a size of 0', { ...png, size: 0 }, 400, 'INVALID_REQUEST'],
    ['a fractional size', { ...png, size: 1.5 }, 400, 'INVALID_REQUEST'],
    ['no filename', { contentType: 'image/png', size: 4 }, 400, 'INVALID_REQUEST'],
    ['malformed JSON', '{"filename":', 400, 'INVALID_JSON'],
  ])('rejects %s, recording nothing', async (_name, body, status, code) => {
    const { deps, upload } = setup();
    const res = await upload(body);
    expect(res.statusCode).toBe(status);
    expect(bodyOf(res).error.code).toBe(code);
    expect(deps.uploads.records.size).toBe(0);
  });
});

describe('submitting a task that references an upload', () => {
  async function uploaded(ctx: ReturnType<typeof setup>, owner = 'alice', put = true) {
    const body = bodyOf(await ctx.upload(png, owner));
    if (put)
      ctx.deps.artifacts.usePresigned(body.url, {
        method: 'PUT',
        contentType: 'image/png',
        body: 'abcd',
      });
    return body.uploadId as string;
  }
  const loadImage = (uploadId: string) => ({
    workflow: {
      '1': { class_type: 'LoadImage', inputs: { image: `upload:${uploadId}` } },
      '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } },
    },
  });

  it('accepts the caller’s own uploaded image, raw or through img2img', async () => {
    const ctx = setup();
    const id = await uploaded(ctx);
    expect((await ctx.submit(loadImage(id))).statusCode).toBe(202);
    const viaTemplate = await ctx.submit({
      template: 'img2img',
      params: { prompt: 'x', image: id },
    });
    expect(viaTemplate.statusCode).toBe(202);
  });

  it("answers another owner's upload exactly like an unknown one (404 UPLOAD_NOT_FOUND)", async () => {
    const ctx = setup();
    const bobs = await uploaded(ctx, 'bob');
    const res = await ctx.submit(loadImage(bobs), 'alice');
    expect(res.statusCode).toBe(404);
    expect(bodyOf(res).error).toMatchObject({
      code: 'UPLOAD_NOT_FOUND',
      message: `No upload ${bobs} was found.`,
    });
    expect(ctx.deps.tasks.all()).toEqual([]);
  });

  it('answers 409 UPLOAD_INCOMPLETE until the image was PUT', async () => {
    const ctx = setup();
    const id = await uploaded(ctx, 'alice', false);
    const res = await ctx.submit(loadImage(id));
    expect(res.statusCode).toBe(409);
    expect(bodyOf(res).error.code).toBe('UPLOAD_INCOMPLETE');
  });

  it('treats an expired upload as gone', async () => {
    const ctx = setup();
    const id = await uploaded(ctx);
    ctx.deps.clock.advance(3 * 24 * 3600 * 1000);
    expect(bodyOf(await ctx.submit(loadImage(id))).error.code).toBe('UPLOAD_NOT_FOUND');
  });
});
