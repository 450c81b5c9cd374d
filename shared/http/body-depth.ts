/**
 * Refuses JSON bodies nested deeper than `maxDepth` with 400 BODY_TOO_DEEP before anything parses
 * them: every later step (parsing, canonical hashing, schema checks) walks the tree, and a body
 * nested 200,000 levels deep would overflow the stack of one of them. One pass over the text,
 * ignoring brackets inside strings.
 */
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { BodyTooDeepError } from '../domain/errors.js';

/** A workflow is nodes → inputs → a link or value: a handful of levels; 64 leaves ample room. */
const MAX_BODY_DEPTH = 64;

const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The deepest nesting of objects and arrays in `text` (JSON or not). */
function jsonDepth(text: string, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
  }
  return max;
}

export function bodyDepthLimit(
  maxDepth = MAX_BODY_DEPTH,
): middy.MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    before: async (request) => {
      const { body, isBase64Encoded } = request.event;
      if (typeof body !== 'string' || body === '') return;
      const text = isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
      if (jsonDepth(text, maxDepth) > maxDepth) {
        throw new BodyTooDeepError(
          `The request body is nested more than ${maxDepth} levels deep; at most ${maxDepth} are allowed.`,
          { details: { limit: maxDepth } },
        );
      }
    },
  };
}
