/**
 * What of a task's error its owner may see. ComfyUI's messages name host paths (`[Errno 21] Is a
 * directory: '/srv/comfyui/input/../output'`) and list the server's files (`value_not_in_list`:
 * `image: 'x' not in ['a.png', ...]`, other tenants' inputs among them). Tenants get the message
 * with paths and lists replaced; the full text stays on the task record and in the logs.
 */
import type { TaskError } from './task.js';

/** `not in [...]` (ComfyUI's option list), up to the closing bracket. */
const OPTION_LIST_RE = /\bnot in \[[^\]]*\]?/g;
/** `(list of length 123)`: ComfyUI's summary of a long option list. */
const LIST_LENGTH_RE = /\(list of length \d+\)/g;
/** Absolute POSIX paths (not the path part of a URL) and Windows drive or UNC paths. */
const POSIX_PATH_RE = /(?<![\w.:/\\~-])\/(?:[^\s'"`,;:()[\]{}<>|]+)/g;
const WINDOWS_PATH_RE = /(?<![\w])(?:[A-Za-z]:|\\\\[^\s\\]+)\\[^\s'"`,;()[\]{}<>|]*/g;
/** A relative path that climbs out (`input/../output`). */
const CLIMBING_PATH_RE = /[^\s'"`,;()[\]{}<>|]*\.\.[\\/][^\s'"`,;()[\]{}<>|]*/g;

/** `text` without host paths or server file lists. */
export function tenantSafeText(text: string): string {
  return text
    .replace(OPTION_LIST_RE, 'not among the names the server offers')
    .replace(LIST_LENGTH_RE, '(the server\u2019s list)')
    .replace(WINDOWS_PATH_RE, '<path>')
    .replace(POSIX_PATH_RE, '<path>')
    .replace(CLIMBING_PATH_RE, '<path>');
}

function safeValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return tenantSafeText(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => safeValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // ComfyUI's `extra_info.input_config` carries the whole option list.
    if (k === 'input_config' || k === 'extra_info') continue;
    out[k] = safeValue(v, depth + 1);
  }
  return out;
}

/** The error as its owner sees it. */
export function tenantSafeError(error: TaskError): TaskError {
  const out: TaskError = { ...error, message: tenantSafeText(error.message) };
  if (error.details !== undefined) out.details = safeValue(error.details);
  return out;
}
