import { describe, expect, it } from 'vitest';
import { s3Preflight } from '../../../infra/local/s3-cors-front.js';
import { browserOrigins } from '../../../infra/local/web-demo.js';
import { outputsCorsRule } from '../../../infra/outputs-cors.js';

describe("the local S3's CORS (the outputs bucket's rule)", () => {
  const rule = outputsCorsRule(['https://app.example']);

  it('allows a PUT preflight from a listed origin, echoing the requested headers', () => {
    const headers = s3Preflight(rule, {
      origin: 'https://app.example',
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'content-type,x-amz-checksum-crc32',
    });
    expect(headers).toMatchObject({
      'access-control-allow-origin': 'https://app.example',
      'access-control-allow-methods': 'PUT, GET, HEAD',
      'access-control-allow-headers': 'content-type,x-amz-checksum-crc32',
      'access-control-expose-headers': 'ETag',
    });
  });

  it('refuses other origins, methods the rule does not list, and non-preflights', () => {
    const put = { 'access-control-request-method': 'PUT' };
    expect(s3Preflight(rule, { origin: 'https://other.example', ...put })).toBeUndefined();
    expect(
      s3Preflight(rule, {
        origin: 'https://app.example',
        'access-control-request-method': 'DELETE',
      }),
    ).toBeUndefined();
    expect(s3Preflight(rule, { origin: 'https://app.example' })).toBeUndefined();
  });

  it('answers * for a wildcard rule', () => {
    const any = outputsCorsRule(['*']);
    expect(
      s3Preflight(any, { origin: 'https://x.example', 'access-control-request-method': 'GET' })?.[
        'access-control-allow-origin'
      ],
    ).toBe('*');
  });

  it('allows the local API origin (where the demo is served) besides --cors-origin', () => {
    expect(browserOrigins(3000, ['http://localhost:5173'])).toEqual([
      'http://localhost:5173',
      'http://127.0.0.1:3000',
      'http://localhost:3000',
    ]);
  });
});
