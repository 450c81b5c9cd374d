/**
 * Deterministic S3 keys for a task's outputs: `outputs/<ownerSegment>/<taskId>/<nodeId>/<safe name>`.
 * The same history always yields the same keys (so a retried copy overwrites, never duplicates), and
 * no name ComfyUI reports can climb out of the task's prefix.
 */
import { createHash } from 'node:crypto';
import { ownerSegment } from '../domain/owner.js';
import type { ComfyOutputFile } from '../ports/comfy-client.js';
import { keys } from '../resources.js';

/** Longest file-name segment, in UTF-8 bytes (S3 keys may be 1024 bytes in all). */
export const MAX_NAME_BYTES = 200;
const MAX_NODE_BYTES = 64;
const MAX_EXT_CHARS = 16;

/** Control, format (bidi overrides, zero-width), surrogate and private-use code points. */
const INVISIBLE_RE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}]/gu;
/** Separators and characters S3 advises against in keys. */
const UNSAFE_RE = /[/\\{}^%`[\]"<>~#|?*:;&$@=+,]/g;

const hash8 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 8);
const utf8Length = (s: string) => Buffer.byteLength(s, 'utf8');

/** Cut a string to at most `maxBytes` of UTF-8 without splitting a code point. */
function cutBytes(s: string, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    bytes += utf8Length(ch);
    if (bytes > maxBytes) break;
    out += ch;
  }
  return out;
}

function splitExt(name: string): [string, string] {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || name.length - dot > MAX_EXT_CHARS + 1) return [name, ''];
  return [name.slice(0, dot), name.slice(dot)];
}

/**
 * One safe key segment from an untrusted file name: NFKC-normalised, no control or invisible
 * characters, no path separators, no `..`, no leading dot, bounded length (a cut name gets a hash of
 * the original, so two long names that share a prefix stay apart). Never empty.
 */
export function sanitizeFileName(raw: string, maxBytes = MAX_NAME_BYTES): string {
  let s = raw.normalize('NFKC').replace(INVISIBLE_RE, '');
  s = s.replace(UNSAFE_RE, '_').replace(/\s+/g, ' ').trim();
  s = s.replace(/\.{2,}/g, '.').replace(/^[.\s]+/, '');
  if (s === '') s = 'file';
  if (utf8Length(s) <= maxBytes) return s;
  const [base, ext] = splitExt(s);
  const suffix = `-${hash8(raw)}${ext}`;
  return cutBytes(base, maxBytes - utf8Length(suffix)) + suffix;
}

/** A node id as a key segment ("9", "12:3" for subgraph nodes become "9", "12_3"). */
export function sanitizeNodeId(raw: string): string {
  const s = raw.replace(/[^A-Za-z0-9._-]/g, '_').replace(/\.{2,}/g, '_');
  const safe = s === '' || s === '.' ? '_' : s;
  return safe.length <= MAX_NODE_BYTES
    ? safe
    : `${safe.slice(0, MAX_NODE_BYTES - 9)}-${hash8(raw)}`;
}

const identity = (f: ComfyOutputFile) =>
  `${f.nodeId}\u0000${f.type}\u0000${f.subfolder}\u0000${f.filename}`;

export interface PlannedOutput {
  file: ComfyOutputFile;
  key: string;
}

/**
 * The key for every distinct output file of one task. Files that would land on the same key (same
 * node, names equal after sanitising, e.g. the same name in two subfolders) each get a short hash of
 * their full identity before the extension; the result does not depend on the order of `files`.
 */
export function planOutputKeys(
  owner: string,
  taskId: string,
  files: readonly ComfyOutputFile[],
): PlannedOutput[] {
  const prefix = keys.outputPrefix(ownerSegment(owner), taskId);
  const distinct = new Map<string, ComfyOutputFile>();
  for (const f of files) if (!distinct.has(identity(f))) distinct.set(identity(f), f);
  const sorted = [...distinct.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  const byKey = new Map<string, ComfyOutputFile[]>();
  for (const [, f] of sorted) {
    const key = `${prefix}${sanitizeNodeId(f.nodeId)}/${sanitizeFileName(f.filename)}`;
    byKey.set(key, [...(byKey.get(key) ?? []), f]);
  }
  const planned: PlannedOutput[] = [];
  const used = new Set<string>();
  for (const [key, group] of byKey) {
    if (group.length === 1 && group[0]) {
      planned.push({ file: group[0], key });
      used.add(key);
      continue;
    }
    for (const f of group) {
      const [base, ext] = splitExt(sanitizeFileName(f.filename, MAX_NAME_BYTES - 18));
      let hashLen = 8;
      let candidate: string;
      do {
        const h = createHash('sha256').update(identity(f)).digest('hex').slice(0, hashLen);
        candidate = `${prefix}${sanitizeNodeId(f.nodeId)}/${base}-${h}${ext}`;
        hashLen += 8;
      } while (used.has(candidate) || (byKey.has(candidate) && candidate !== key));
      planned.push({ file: f, key: candidate });
      used.add(candidate);
    }
  }
  return planned;
}
