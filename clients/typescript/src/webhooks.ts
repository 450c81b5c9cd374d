/**
 * Verifying webhook deliveries on the receiving side. Deliveries are signed the Standard Webhooks
 * way: headers `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`
 * (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, several separated by spaces while a secret is
 * being rotated), with the owner's `whsec_...` secret. Uses Web Crypto only, so it runs in Node,
 * Deno, Bun, Cloudflare Workers and browsers.
 */
import { ComfyServerlessError } from './errors.js';
import type { TaskView } from './generated/api.js';

/** A delivery's body. */
export interface WebhookEvent {
  type: string;
  timestamp: string;
  data: TaskView;
}

/**
 * The delivery's headers: a fetch `Headers`, anything with `get(name)`, or a plain object of names
 * to values (Node's `req.headers`, any case).
 */
export type WebhookHeaders = Headers | { get(name: string): string | null } | object;

export interface VerifyWebhookOptions {
  /** How far the delivery's timestamp may be from now. @default 300 (Standard Webhooks) */
  toleranceSeconds?: number;
  /** For tests. @default Date.now() */
  now?: number;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  }
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
    if (k.toLowerCase() !== name) continue;
    if (Array.isArray(v)) return v.join(' ');
    return typeof v === 'string' ? v : undefined;
  }
  return undefined;
}

function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

const invalid = (message: string) =>
  new ComfyServerlessError({ status: 0, code: 'WEBHOOK_SIGNATURE_INVALID', message });

/**
 * Checks a delivery's signature and age and returns its parsed body; throws a
 * `ComfyServerlessError` with code `WEBHOOK_SIGNATURE_INVALID` otherwise. Pass the body exactly as
 * received (the raw text or bytes, not a re-serialised object).
 */
export async function verifyWebhook(
  secret: string,
  headers: WebhookHeaders,
  body: string | Uint8Array | ArrayBuffer,
  options: VerifyWebhookOptions = {},
): Promise<WebhookEvent> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    throw invalid('missing webhook-id, webhook-timestamp or webhook-signature header');
  }
  const seconds = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || !Number.isSafeInteger(seconds)) {
    throw invalid('webhook-timestamp is not a Unix time in seconds');
  }
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  if (Math.abs(now - seconds) > tolerance) {
    throw invalid(`webhook-timestamp is more than ${tolerance} s away from now`);
  }
  const text =
    typeof body === 'string'
      ? body
      : new TextDecoder().decode(body instanceof Uint8Array ? body : new Uint8Array(body));
  const keyBytes = base64ToBytes(secret.startsWith('whsec_') ? secret.slice(6) : secret);
  const key = await crypto.subtle.importKey(
    'raw',
    keyBytes as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = await crypto.subtle.sign(
    'HMAC',
    key,
    new TextEncoder().encode(`${id}.${timestamp}.${text}`),
  );
  const expected = bytesToBase64(new Uint8Array(mac));
  const ok = signatures
    .split(' ')
    .some((s) => s.startsWith('v1,') && timingSafeEqual(s.slice(3), expected));
  if (!ok) throw invalid('no webhook-signature matches the secret');
  try {
    return JSON.parse(text) as WebhookEvent;
  } catch (cause) {
    throw new ComfyServerlessError({
      status: 0,
      code: 'WEBHOOK_SIGNATURE_INVALID',
      message: 'the signed body is not JSON',
      cause,
    });
  }
}
