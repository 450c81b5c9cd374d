import middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import * as zm from 'zod/mini';
import {
  ComfyUnavailableError,
  DependencyUnavailableError,
  InvalidRequestError,
  TaskNotFoundError,
  TaskStateConflictError,
} from '../../../shared/domain/errors.js';
import { type ErrorLogger, httpErrorMapper } from '../../../shared/http/error-mapper.js';
import { ERROR_STATUS } from '../../../shared/http/error-status.js';
import { apiEvent, bodyOf, lambdaContext } from '../../helpers/api-events.js';

function capture() {
  const lines: { level: 'warn' | 'error'; message: string; extra: unknown[] }[] = [];
  const logger: ErrorLogger = {
    warn: (message, ...extra) => lines.push({ level: 'warn', message, extra }),
    error: (message, ...extra) => lines.push({ level: 'error', message, extra }),
  };
  return { logger, lines };
}

async function run(err: unknown) {
  const { logger, lines } = capture();
  const handler = middy({ timeoutEarlyInMillis: 0 })
    .use(httpErrorMapper({ logger }))
    .handler(async () => {
      throw err;
    });
  const res = (await handler(apiEvent(), lambdaContext())) as { statusCode: number; body: string };
  return { res, body: bodyOf(res), lines };
}

describe('httpErrorMapper', () => {
  it('maps a domain error to its status, with code, message and details, logged at warn', async () => {
    const { res, body, lines } = await run(
      new InvalidRequestError(
        'bad thing',
        { issues: [{ path: ['a'], message: 'x' }] },
        'INVALID_PARAMS',
      ),
    );
    expect(res.statusCode).toBe(400);
    expect(body).toEqual({
      error: {
        code: 'INVALID_PARAMS',
        message: 'bad thing',
        details: { issues: [{ path: ['a'], message: 'x' }] },
      },
    });
    expect(lines.map((l) => l.level)).toEqual(['warn']);
  });

  it.each([
    [new TaskNotFoundError('t'), 404],
    [new TaskStateConflictError('lost'), 409],
    [new DependencyUnavailableError('DynamoDB is throttling; retry.'), 503],
    [new ComfyUnavailableError('ComfyUI is down.'), 503],
  ])('uses the one status table for %s', async (err, status) => {
    const { res, body } = await run(err);
    expect(res.statusCode).toBe(status);
    expect(ERROR_STATUS[body.error.code]).toBe(status);
  });

  it('turns a ZodError into 400 with the issue paths', async () => {
    const parsed = z.object({ a: z.object({ b: z.number() }) }).safeParse({ a: { b: 'x' } });
    const { res, body } = await run(parsed.error);
    expect(res.statusCode).toBe(400);
    expect(body.error.code).toBe('INVALID_REQUEST');
    expect(body.error.details.issues[0].path).toEqual(['a', 'b']);
  });

  it('turns a zod/mini parse error (the config and owner-limit schemas) into the same 400', async () => {
    const parsed = zm.object({ a: zm.object({ b: zm.number() }) }).safeParse({ a: { b: 'x' } });
    const { res, body } = await run(parsed.error);
    expect(res.statusCode).toBe(400);
    expect(body.error.code).toBe('INVALID_REQUEST');
    expect(body.error.details.issues[0]).toEqual({
      path: ['a', 'b'],
      message: 'Invalid input: expected number, received string',
    });
  });

  it('maps the JSON body parser’s errors to 400 INVALID_JSON and 415', async () => {
    const parserError = (message: string) =>
      Object.assign(new Error(message), {
        statusCode: 415,
        cause: { package: '@middy/http-json-body-parser', data: '{' },
      });
    expect((await run(parserError('Invalid or malformed JSON was provided'))).body.error.code).toBe(
      'INVALID_JSON',
    );
    const unsupported = await run(parserError('Unsupported Media Type'));
    expect(unsupported.res.statusCode).toBe(415);
    expect(unsupported.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers anything else with a generic 500, never echoing internals, logged at error', async () => {
    const { res, body, lines } = await run(
      new Error('connect ECONNREFUSED 10.0.0.7:8000 secret=abc'),
    );
    expect(res.statusCode).toBe(500);
    expect(body).toEqual({ error: { code: 'INTERNAL_ERROR', message: expect.any(String) } });
    expect(res.body).not.toMatch(/ECONNREFUSED|secret/);
    expect(lines.map((l) => l.level)).toEqual(['error']);
  });

  it('hides the message of a domain error whose code has no status', async () => {
    class Odd extends InvalidRequestError {}
    const { res, body } = await run(new Odd('internal detail', undefined, 'SOMETHING_NEW'));
    expect(res.statusCode).toBe(500);
    expect(body.error.message).not.toMatch(/internal detail/);
  });

  it('passes middy HTTP errors through by status, hiding 5xx', async () => {
    const notFound = await run(Object.assign(new Error('Not Found'), { statusCode: 404 }));
    expect(notFound.res.statusCode).toBe(404);
    const boom = await run(Object.assign(new Error('upstream details'), { statusCode: 502 }));
    expect(boom.res.statusCode).toBe(500);
    expect(boom.body.error.message).not.toMatch(/upstream/);
  });
});
