/**
 * The one error class the client throws. `status` is the HTTP status (0 when no answer came:
 * network failure, timeout, abort), `code` a stable SCREAMING_SNAKE code: the API's own
 * (`INVALID_PARAMS`, `TASK_NOT_FOUND`, ...; see the API documentation), API Gateway's answers
 * mapped to `UNAUTHORIZED` / `FORBIDDEN` / `THROTTLED` / `ROUTE_NOT_FOUND`, or the client's
 * `NETWORK_ERROR`, `TIMEOUT`, `ABORTED`, `UPLOAD_FAILED`, `INVALID_RESPONSE`,
 * `WEBHOOK_SIGNATURE_INVALID`.
 */
export class ComfyServerlessError extends Error {
  override readonly name = 'ComfyServerlessError';
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  /** API Gateway's request id, when the API answered: quote it when reporting a problem. */
  readonly requestId: string | undefined;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    details?: unknown;
    requestId?: string;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.requestId = init.requestId;
  }
}

/** API Gateway answers some requests itself with `{"message": "..."}`; these get a code. */
const GATEWAY_CODES: Record<number, string> = {
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'ROUTE_NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'THROTTLED',
  500: 'INTERNAL_ERROR',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

/** The error for a non-2xx answer, from its body whatever its shape. */
export function errorFromResponse(
  status: number,
  body: string,
  requestId: string | undefined,
): ComfyServerlessError {
  let json: unknown;
  try {
    json = body ? JSON.parse(body) : undefined;
  } catch {
    json = undefined;
  }
  const obj = (json && typeof json === 'object' ? json : {}) as {
    error?: { code?: unknown; message?: unknown; details?: unknown };
    message?: unknown;
  };
  if (obj.error && typeof obj.error.code === 'string') {
    return new ComfyServerlessError({
      status,
      code: obj.error.code,
      message: typeof obj.error.message === 'string' ? obj.error.message : obj.error.code,
      details: obj.error.details,
      requestId,
    });
  }
  const gatewayMessage = typeof obj.message === 'string' ? obj.message : undefined;
  return new ComfyServerlessError({
    status,
    code: GATEWAY_CODES[status] ?? `HTTP_${status}`,
    message:
      status === 403 && gatewayMessage === 'Forbidden'
        ? 'Forbidden: the API key or token was not accepted'
        : (gatewayMessage ?? (body.slice(0, 200) || `HTTP ${status}`)),
    requestId,
  });
}
