/**
 * `POST /comfy-serverless/delete`: the route of the file-cleanup extension the project ships for
 * ComfyUI (infra/comfyui-extension/comfy_serverless), with the same rules and answers: files and whole
 * subfolders of the output, input and temp folders only; relative paths without `..`, backslashes or
 * NUL; a resolved path (links followed) inside its folder; never the folder itself; one bad entry
 * refuses the whole request (400 `{"error"}`) before anything is deleted.
 */
import { existsSync, lstatSync, realpathSync, rmSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { isInside, type StandInStorage } from './storage.js';

export const FILE_CLEANUP_PATH = '/comfy-serverless/delete';
const MAX_ENTRIES = 1000;

class Refused extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

function relativeParts(value: unknown, what: string, allowEmpty: boolean): string[] {
  if (typeof value !== 'string') throw new Refused(`${what} must be a string`);
  if (value === '' && allowEmpty) return [];
  if (value === '') throw new Refused(`${what} must not be empty`);
  if (value.includes('\0') || value.includes('\\') || value.startsWith('/'))
    throw new Refused(`${what} must be a relative path`);
  const parts = value.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new Refused(`${what} must not contain ".."`);
  if (parts.length === 0 && !allowEmpty) throw new Refused(`${what} must not be empty`);
  return parts;
}

/** realpath of the longest existing ancestor, joined with the rest (Python's os.path.realpath). */
function realish(path: string): string {
  let head = path;
  const tail: string[] = [];
  while (!existsSync(head) && dirname(head) !== head) {
    tail.unshift(relative(dirname(head), head));
    head = dirname(head);
  }
  return join(realpathSync(head), ...tail);
}

function resolveEntry(storage: StandInStorage, entry: unknown, folder: boolean): string {
  if (!isObject(entry)) throw new Refused('each entry must be an object');
  const dir = storage.dirFor(typeof entry.type === 'string' ? entry.type : 'output');
  if (!dir || (entry.type !== undefined && typeof entry.type !== 'string'))
    throw new Refused('type must be output, input or temp');
  const base = realpathSync(dir);
  const sub = relativeParts(entry.subfolder ?? '', 'subfolder', !folder);
  if (folder) {
    const real = realish(join(base, ...sub));
    if (real === base || !isInside(base, real))
      throw new Refused('the folder is outside its base folder');
    return real;
  }
  const name = relativeParts(entry.filename, 'filename', false);
  const target = join(base, ...sub, ...name);
  const parent = realish(dirname(target));
  if (!isInside(base, parent) || !isInside(base, realish(target)))
    throw new Refused('the file is outside its base folder');
  return join(parent, basename(target));
}

/** The route's answer: [status, body]. */
export function deleteFiles(storage: StandInStorage, body: unknown): [number, unknown] {
  if (!isObject(body)) return [400, { error: 'the body must be an object' }];
  const files = body.files ?? [];
  const folders = body.folders ?? [];
  if (!Array.isArray(files) || !Array.isArray(folders))
    return [400, { error: 'files and folders must be lists' }];
  if (files.length + folders.length > MAX_ENTRIES)
    return [400, { error: `at most ${MAX_ENTRIES} entries` }];
  let filePaths: string[];
  let folderPaths: string[];
  try {
    filePaths = files.map((f) => resolveEntry(storage, f, false));
    folderPaths = folders.map((f) => resolveEntry(storage, f, true));
  } catch (err) {
    if (err instanceof Refused) return [400, { error: err.message }];
    throw err;
  }
  let deleted = 0;
  let missing = 0;
  for (const path of filePaths) {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st) missing++;
    else if (!st.isDirectory()) {
      unlinkSync(path);
      storage.forget(path);
      deleted++;
    }
  }
  for (const path of folderPaths) {
    if (!lstatSync(path, { throwIfNoEntry: false })) {
      missing++;
      continue;
    }
    rmSync(path, { recursive: true, force: true });
    storage.forget(path);
    deleted++;
  }
  return [200, { deleted, missing }];
}
