/**
 * Turns a function's result into the HTTP response API Gateway (HTTP API, payload 2.0) would send.
 * A result with `statusCode` is used as given (headers, cookies as Set-Cookie, body, base64 when
 * `isBase64Encoded`); any other result is a 200 with `content-type: application/json` whose body is
 * the string itself or, for anything else, its JSON.
 */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/** API Gateway's own error responses (`{"message": ...}`). */
const gatewayError = (statusCode: number, message: string): HttpResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify({ message })),
});

export const GATEWAY_ERRORS = {
  unauthorized: () => gatewayError(401, 'Unauthorized'),
  forbidden: () => gatewayError(403, 'Forbidden'),
  notFound: () => gatewayError(404, 'Not Found'),
  tooLarge: () => gatewayError(413, 'Request Entity Too Large'),
  throttled: () => gatewayError(429, 'Too Many Requests'),
  internal: () => gatewayError(500, 'Internal Server Error'),
  unavailable: () => gatewayError(503, 'Service Unavailable'),
};

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function toHttpResponse(result: unknown): HttpResponse {
  if (!isRecord(result) || !('statusCode' in result)) {
    const body = typeof result === 'string' ? result : JSON.stringify(result);
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(body),
    };
  }
  const statusCode = Number(result.statusCode);
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    return GATEWAY_ERRORS.internal();
  }
  const headers: Record<string, string | string[]> = {};
  if (isRecord(result.headers)) {
    for (const [k, v] of Object.entries(result.headers)) {
      if (v !== undefined && v !== null) headers[k.toLowerCase()] = String(v);
    }
  }
  if (Array.isArray(result.cookies) && result.cookies.length) {
    const prior = headers['set-cookie'];
    headers['set-cookie'] = [
      ...result.cookies.map(String),
      ...(prior === undefined ? [] : [prior].flat()),
    ];
  }
  const raw = result.body;
  const text =
    raw === undefined || raw === null ? '' : typeof raw === 'string' ? raw : JSON.stringify(raw);
  const body = result.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text);
  return { statusCode, headers, body };
}
