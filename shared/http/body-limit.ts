/** Rejects request bodies over `maxBytes` (decoded size) with 413 before anything parses them. */
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { PayloadTooLargeError } from '../domain/errors.js';

export const MAX_BODY_BYTES = 1024 * 1024;

const bodySize = (event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>) => {
  if (event.body === undefined || event.body === null) return 0;
  return event.isBase64Encoded
    ? Buffer.from(event.body, 'base64').length
    : Buffer.byteLength(event.body, 'utf8');
};

export function bodyLimit(maxBytes = MAX_BODY_BYTES): middy.MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    before: async (request) => {
      const size = bodySize(request.event);
      if (size > maxBytes) {
        throw new PayloadTooLargeError(
          `The request body is ${size} bytes; at most ${maxBytes} are allowed.`,
          { details: { limit: maxBytes, size } },
        );
      }
    },
  };
}
