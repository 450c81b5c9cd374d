import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseMultipart } from '../../../infra/local/comfy-standin/multipart.js';
import { parseVersion, versionAtLeast } from '../../../shared/adapters/comfyui/features.js';
import { multipartBody } from '../../../shared/adapters/comfyui/multipart.js';
import { backoffDelay, DEFAULT_RETRY, withRetry } from '../../../shared/adapters/comfyui/retry.js';
import { ComfyRejectedError, ComfyUnavailableError } from '../../../shared/domain/errors.js';

describe('withRetry', () => {
  const fast = { retries: 2, baseDelayMs: 0, maxDelayMs: 0 };

  it('retries retryable errors up to the budget, then throws the last one', async () => {
    let calls = 0;
    const err = await withRetry(fast, async () => {
      calls++;
      throw new ComfyUnavailableError('down');
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ComfyUnavailableError);
    expect(calls).toBe(3);
  });

  it('never retries permanent errors', async () => {
    let calls = 0;
    await withRetry(fast, async () => {
      calls++;
      throw new ComfyRejectedError({ type: 'x', message: 'x' }, []);
    }).catch(() => undefined);
    expect(calls).toBe(1);
  });

  it('draws delays from half to all of min(max, base * 2^attempt)', () => {
    expect(backoffDelay(DEFAULT_RETRY, 0, () => 0.999)).toBe(99);
    expect(backoffDelay(DEFAULT_RETRY, 3, () => 0.999)).toBe(799);
    expect(backoffDelay(DEFAULT_RETRY, 10, () => 0.999)).toBe(1999);
    expect(backoffDelay(DEFAULT_RETRY, 0, () => 0)).toBe(50);
    expect(backoffDelay(DEFAULT_RETRY, 10, () => 0)).toBe(1000);
  });
});

describe('versions', () => {
  it('parses ComfyUI versions and compares them', () => {
    expect(parseVersion('0.3.64')).toEqual([0, 3, 64]);
    expect(parseVersion('v0.8')).toEqual([0, 8, 0]);
    expect(parseVersion('nightly')).toBeUndefined();
    expect(versionAtLeast('0.3.64', [0, 3, 57])).toBe(true);
    expect(versionAtLeast('0.3.56', [0, 3, 57])).toBe(false);
    expect(versionAtLeast('0.38.1', [0, 3, 57])).toBe(true);
    expect(versionAtLeast(undefined, [0, 3, 57])).toBe(false);
  });
});

describe('multipart', () => {
  it('streams fields and the image part, with a length when the size is known, and parses back', async () => {
    const file = Buffer.from('\x89PNG fake bytes\r\n--not a boundary');
    const mp = multipartBody(
      { subfolder: 'in', overwrite: 'true' },
      {
        field: 'image',
        filename: 'a "quoted" name.png',
        contentType: 'image/png',
        body: Readable.from([file.subarray(0, 5), file.subarray(5)]),
        size: file.length,
      },
    );
    const chunks: Buffer[] = [];
    for await (const c of mp.body) chunks.push(Buffer.from(c));
    const body = Buffer.concat(chunks);
    expect(mp.length).toBe(body.length);
    const parts = parseMultipart(mp.contentType, body);
    expect(parts?.map((p) => [p.name, p.filename, p.data.toString('latin1')])).toEqual([
      ['subfolder', undefined, 'in'],
      ['overwrite', undefined, 'true'],
      ['image', 'a "quoted" name.png', file.toString('latin1')],
    ]);
  });

  it('leaves the length unknown for a stream of unknown size', () => {
    const mp = multipartBody(
      {},
      { field: 'image', filename: 'x.png', contentType: 'image/png', body: Readable.from([]) },
    );
    expect(mp.length).toBeUndefined();
  });

  it('rejects bodies that are not multipart', () => {
    expect(parseMultipart('application/json', Buffer.from('{}'))).toBeUndefined();
    expect(
      parseMultipart('multipart/form-data; boundary=x', Buffer.from('nothing')),
    ).toBeUndefined();
  });
});
