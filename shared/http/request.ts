/**
 * Reading a request: zod parsing of body, query and path with `details.issues` paths prefixed by where
 * the value came from, the Idempotency-Key header, and the canonical hash of a body.
 */
import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type $ZodType, type output, safeParse } from 'zod/v4/core';
import { InvalidRequestError } from '../domain/errors.js';
import { zodIssues } from './issues.js';

export type Where = 'body' | 'query' | 'path';

/**
 * Parse `value` with `schema`. On failure: InvalidRequestError with `code`, or the code `codeFor`
 * gives the first issue's top-level field (e.g. `taskId` -> INVALID_TASK_ID).
 */
export function parseInput<S extends $ZodType>(
  schema: S,
  value: unknown,
  where: Where,
  opts: { code?: string; codeFor?: Record<string, string>; message?: string } = {},
): output<S> {
  const parsed = safeParse(schema, value);
  if (parsed.success) return parsed.data;
  const issues = zodIssues(parsed.error, [where]);
  const field = parsed.error.issues[0]?.path[0];
  const code =
    (typeof field === 'string' && opts.codeFor?.[field]) || opts.code || 'INVALID_REQUEST';
  const first = issues[0];
  const message =
    opts.message ??
    (first ? `Invalid ${first.path.join('.')}: ${first.message}` : 'The request is not valid.');
  throw new InvalidRequestError(message, { issues }, code);
}

const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,128}$/;

/** The Idempotency-Key header, if any: 1-128 printable ASCII characters, else 400. */
export function idempotencyKey(event: APIGatewayProxyEventV2): string | undefined {
  const headers = event.headers ?? {};
  const name = Object.keys(headers).find((h) => h.toLowerCase() === 'idempotency-key');
  if (name === undefined) return undefined;
  const key = headers[name] ?? '';
  if (!IDEMPOTENCY_KEY_RE.test(key)) {
    throw new InvalidRequestError(
      'The Idempotency-Key header must be 1 to 128 printable ASCII characters without spaces.',
      { issues: [{ path: ['header', 'Idempotency-Key'], message: 'invalid' }] },
      'INVALID_IDEMPOTENCY_KEY',
    );
  }
  return key;
}

/** JSON with object keys sorted at every level, so equal bodies hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');
