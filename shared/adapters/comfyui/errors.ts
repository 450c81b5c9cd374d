/**
 * Translation of transport and HTTP failures into the domain's ComfyUI errors
 * (classes in shared/domain/errors.ts):
 * - connection refused/reset, DNS, connect/headers/body timeouts, 5xx -> ComfyUnavailableError (retryable)
 * - 400 on POST /prompt with ComfyUI's JSON -> ComfyRejectedError (permanent, every node error kept)
 * - any other 4xx -> ComfyRequestError (404 -> COMFYUI_NOT_FOUND)
 * - a body of the wrong shape -> ComfyProtocolError
 */
import {
  type ComfyNodeError,
  ComfyProtocolError,
  ComfyRejectedError,
  ComfyRequestError,
  ComfyUnavailableError,
  DomainError,
} from '../../domain/errors.js';
import { NodeErrors, RejectionBody } from './schemas.js';

export type { ComfyNodeError } from '../../domain/errors.js';
export { ComfyProtocolError } from '../../domain/errors.js';

/** Codes that mean a bug on our side (bad arguments), not an unreachable server. */
const PROGRAMMING_CODES = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
  'ERR_INVALID_URL',
]);

function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    if (e instanceof AggregateError) for (const inner of e.errors) codes.push(...errorCodes(inner));
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

/**
 * Any thrown value from a request or a body stream -> a DomainError (domain errors pass through).
 * Connection refused/reset, DNS failures, connect/headers/body timeouts, sockets closed early and
 * aborted requests are all ComfyUnavailableError; only argument errors (our bugs) are rethrown as is.
 */
export function translateTransportError(err: unknown, what: string): Error {
  if (err instanceof DomainError) return err;
  const codes = errorCodes(err);
  if (codes.some((c) => PROGRAMMING_CODES.has(c)))
    return err instanceof Error ? err : new Error(String(err));
  const message = err instanceof Error ? err.message : String(err);
  return new ComfyUnavailableError(
    `ComfyUI ${what} failed: ${codes[0] ?? 'error'} ${message}`.trim(),
    {
      cause: err,
    },
  );
}

/** A non-2xx status (body already read as text) -> the typed error. */
export function errorForStatus(status: number, what: string, bodyText: string): DomainError {
  if (status >= 500) {
    return new ComfyUnavailableError(`ComfyUI ${what} answered ${status}.`, {
      details: { status, body: bodyText.slice(0, 500) },
    });
  }
  const detail = bodyText.trim() ? `: ${bodyText.trim().slice(0, 200)}` : '';
  return new ComfyRequestError(`ComfyUI ${what} answered ${status}${detail}`, status);
}

/** Every `node_errors` entry, flattened into our shape (input names from `extra_info.input_name`). */
export function toNodeErrors(raw: unknown): ComfyNodeError[] {
  const parsed = NodeErrors.safeParse(raw ?? {});
  if (!parsed.success) return [];
  return Object.entries(parsed.data).map(([nodeId, n]) => {
    const out: ComfyNodeError = {
      nodeId,
      errors: n.errors.map((e) => {
        const item: ComfyNodeError['errors'][number] = { type: e.type, message: e.message };
        if (e.details !== undefined) item.details = e.details;
        if (e.extra_info?.input_name !== undefined) item.inputName = e.extra_info.input_name;
        return item;
      }),
    };
    if (n.class_type !== undefined) out.classType = n.class_type;
    return out;
  });
}

/** A 400 on POST /prompt. ComfyUI's JSON gives ComfyRejectedError; anything else ComfyRequestError. */
export function rejectionFromBody(bodyText: string): DomainError {
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    return new ComfyRequestError(
      `ComfyUI POST /prompt answered 400: ${bodyText.slice(0, 200)}`,
      400,
    );
  }
  const parsed = RejectionBody.safeParse(json);
  if (!parsed.success) {
    return new ComfyRequestError(
      `ComfyUI POST /prompt answered 400: ${bodyText.slice(0, 200)}`,
      400,
    );
  }
  const { error } = parsed.data;
  const summary: { type: string; message: string; details?: string } = {
    type: error.type,
    message: error.message,
  };
  if (error.details !== undefined) summary.details = error.details;
  return new ComfyRejectedError(summary, toNodeErrors(parsed.data.node_errors));
}

export function protocolError(what: string, details?: unknown): ComfyProtocolError {
  return new ComfyProtocolError(`ComfyUI ${what} returned a body we do not understand.`, {
    details,
  });
}
