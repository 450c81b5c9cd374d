import { describe, expect, it } from 'vitest';
import { toHttpResponse } from '../../../infra/local/api/http-api-result.js';
import { tokenBucket } from '../../../infra/local/api/throttle.js';

describe('toHttpResponse (payload 2.0 response rules)', () => {
  it('uses statusCode, lower-cased headers and the body as given', () => {
    const r = toHttpResponse({
      statusCode: 202,
      headers: { 'Content-Type': 'application/json', 'X-Count': 3 },
      body: '{"ok":true}',
    });
    expect(r.statusCode).toBe(202);
    expect(r.headers).toEqual({ 'content-type': 'application/json', 'x-count': '3' });
    expect(r.body.toString()).toBe('{"ok":true}');
  });

  it('decodes base64 bodies and turns cookies into Set-Cookie headers', () => {
    const r = toHttpResponse({
      statusCode: 200,
      body: Buffer.from([0, 1, 2]).toString('base64'),
      isBase64Encoded: true,
      cookies: ['a=1', 'b=2'],
      headers: { 'set-cookie': 'c=3' },
    });
    expect([...r.body]).toEqual([0, 1, 2]);
    expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2', 'c=3']);
  });

  it('infers a 200 JSON response when there is no statusCode', () => {
    expect(toHttpResponse({ hello: 'world' })).toMatchObject({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
    });
    expect(toHttpResponse({ hello: 'world' }).body.toString()).toBe('{"hello":"world"}');
    expect(toHttpResponse('Hello from Lambda!').body.toString()).toBe('Hello from Lambda!');
  });

  it('is a 500 for an invalid statusCode, with an empty body when none is given', () => {
    expect(toHttpResponse({ statusCode: 'abc' }).statusCode).toBe(500);
    expect(toHttpResponse({ statusCode: 204 }).body.length).toBe(0);
  });
});

describe('tokenBucket (stage throttling)', () => {
  it('lets a burst through, then refills at the rate', () => {
    let now = 0;
    const bucket = tokenBucket({ rateLimit: 2, burstLimit: 3 }, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    now = 500;
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    now = 10_000;
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });
});
