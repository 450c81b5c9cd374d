/**
 * A scripted `fetch` for the client's unit tests: answers each call with the next scripted
 * response (or throws the scripted error) and records what was asked.
 */
interface RecordedCall {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

export type Scripted =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { error: Error }
  | ((call: RecordedCall) => Scripted);

export function scriptedFetch(script: Scripted[]) {
  const calls: RecordedCall[] = [];
  const fetch = async (input: string | URL | Request, init: RequestInit = {}) => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => {
      headers[k] = v;
    });
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : init.body;
    const call = { url: String(input), method: init.method ?? 'GET', headers, body };
    calls.push(call);
    const scripted = script.shift();
    if (!scripted) throw new Error(`unscripted call ${call.method} ${call.url}`);
    const next = typeof scripted === 'function' ? scripted(call) : scripted;
    if (typeof next === 'function') throw new Error('a scripted answer returned a function');
    if ('error' in next) throw next.error;
    const text =
      next.body === undefined
        ? ''
        : typeof next.body === 'string'
          ? next.body
          : JSON.stringify(next.body);
    return new Response(text, {
      status: next.status,
      headers: { 'content-type': 'application/json', ...next.headers },
    });
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

export const TASK_ID = '6f1c2d0e-1111-4222-8333-944455556666';

export function task(status: string, extra: Record<string, unknown> = {}) {
  return {
    taskId: TASK_ID,
    status,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: `2026-01-01T00:00:0${Math.floor(Math.random() * 9)}.${Math.random()}Z`,
    outputs: [],
    ...extra,
  };
}
