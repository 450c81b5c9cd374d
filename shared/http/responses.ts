/** Response helpers: JSON bodies, and the one error body shape `{"error":{"code","message","details"?}}`. */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type ApiResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; body: string };

export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): ApiResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function errorResult(
  statusCode: number,
  code: string,
  message: string,
  details?: unknown,
  headers: Record<string, string> = {},
): ApiResult {
  const error: ErrorBody['error'] = { code, message };
  if (details !== undefined) error.details = details;
  return json(statusCode, { error } satisfies ErrorBody, headers);
}
