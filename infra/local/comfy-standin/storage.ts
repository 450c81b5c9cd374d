/**
 * The stand-in's folders (output, input, temp) and ComfyUI's file rules: SaveImage counters
 * (`<base>_<counter:05>_.png`, subfolder from the prefix's directory part), /upload/image renaming
 * (`name (1).ext`, identical bytes keep the existing name), /view path checks. Large outputs are
 * "virtual" files: a size and a seed, generated on the fly when /view reads them, never held in memory.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, dirname, join, normalize, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';

export type FolderType = 'output' | 'input' | 'temp';

export interface VirtualFile {
  size: number;
  seed: string;
}

const CHUNK = 64 * 1024;

export class StandInStorage {
  readonly dirs: Record<FolderType, string>;
  private readonly virtual = new Map<string, VirtualFile>();

  constructor(dataDir: string, overrides: Partial<Record<FolderType, string>> = {}) {
    this.dirs = {
      output: resolve(overrides.output ?? join(dataDir, 'output')),
      input: resolve(overrides.input ?? join(dataDir, 'input')),
      temp: resolve(overrides.temp ?? join(dataDir, 'temp')),
    };
    for (const d of Object.values(this.dirs)) mkdirSync(d, { recursive: true });
  }

  /** ComfyUI deletes its temp folder at startup. */
  cleanTemp(): void {
    rmSync(this.dirs.temp, { recursive: true, force: true });
    mkdirSync(this.dirs.temp, { recursive: true });
    for (const p of this.virtual.keys()) if (isInside(this.dirs.temp, p)) this.virtual.delete(p);
  }

  /** Drop the virtual files at or under `path` (deleted from disk). */
  forget(path: string): void {
    for (const p of this.virtual.keys()) if (isInside(path, p)) this.virtual.delete(p);
  }

  dirFor(type: string): string | undefined {
    return type === 'output' || type === 'input' || type === 'temp' ? this.dirs[type] : undefined;
  }

  /** `get_save_image_path`: folder, base name, next counter, subfolder for a filename prefix. */
  savePath(prefix: string, type: 'output' | 'temp', width: number, height: number) {
    const root = this.dirs[type];
    const expanded = expandPrefix(prefix, width, height);
    const norm = normalize(expanded);
    const sub = dirname(norm) === '.' ? '' : dirname(norm);
    const base = basename(norm);
    const folder = resolve(root, sub);
    if (!isInside(root, folder)) {
      throw new Error(
        '**** ERROR: Saving image outside the output folder is not allowed.\n' +
          ` full_output_folder: ${folder}\n         output_dir: ${root}\n` +
          ` commonpath: ${commonPath(root, folder)}`,
      );
    }
    mkdirSync(folder, { recursive: true });
    let counter = 1;
    for (const name of this.list(folder)) {
      const prefixPart = name.slice(0, base.length + 1);
      if (prefixPart.toLowerCase() !== `${base}_`.toLowerCase()) continue;
      const digits = Number.parseInt(name.slice(base.length + 1).split('_')[0] ?? '', 10);
      if (Number.isFinite(digits) && digits + 1 > counter) counter = digits + 1;
    }
    return { folder, base, counter, subfolder: sub.split(sep).join('/') };
  }

  private list(folder: string): string[] {
    const names = existsSync(folder) ? readdirSync(folder) : [];
    for (const p of this.virtual.keys()) if (dirname(p) === folder) names.push(basename(p));
    return names;
  }

  async write(path: string, bytes: Buffer): Promise<void> {
    mkdirSync(dirname(path), { recursive: true });
    await writeFile(path, bytes);
  }

  addVirtual(path: string, file: VirtualFile): void {
    this.virtual.set(path, file);
  }

  /** /view resolution: a status for the bad cases, or the file. Mirrors server.py view_image. */
  resolveView(
    query: URLSearchParams,
  ): { status: 400 | 403 | 404 } | { path: string; size: number; virtual?: VirtualFile } {
    let filename = query.get('filename');
    if (filename === null) return { status: 404 };
    let type = query.get('type') ?? 'output';
    const annotated = /^(.*) \[(output|input|temp)\]$/.exec(filename);
    if (annotated) {
      filename = annotated[1] ?? '';
      type = annotated[2] ?? type;
    }
    if (!filename || filename.startsWith('/') || filename.includes('..')) return { status: 400 };
    let dir = this.dirFor(type);
    if (!dir) return { status: 400 };
    const sub = query.get('subfolder');
    if (sub !== null) {
      const full = resolve(dir, sub);
      if (!isInside(dir, full)) return { status: 403 };
      dir = full;
    }
    const path = join(dir, basename(filename));
    const v = this.virtual.get(path);
    if (v) return { path, size: v.size, virtual: v };
    try {
      const st = statSync(path);
      if (st.isFile()) return { path, size: st.size };
    } catch {
      // missing
    }
    return { status: 404 };
  }

  /** /upload/image naming: `name (i).ext` unless overwriting or the bytes are identical. */
  async saveUpload(
    type: string,
    subfolder: string,
    filename: string,
    bytes: Buffer,
    overwrite: boolean,
  ): Promise<{ name: string } | { status: 400 }> {
    const dir = this.dirFor(type) ?? this.dirs.input;
    const folder = join(dir, normalize(subfolder || '.'));
    let path = resolve(folder, filename);
    if (!isInside(dir, path)) return { status: 400 };
    mkdirSync(folder, { recursive: true });
    let name = filename;
    const dot = filename.lastIndexOf('.');
    const [stem, ext] = dot > 0 ? [filename.slice(0, dot), filename.slice(dot)] : [filename, ''];
    if (!overwrite) {
      const digest = sha256(bytes);
      for (let i = 1; existsSync(path); i++) {
        if (sha256(readFileSync(path)) === digest) return { name };
        name = `${stem} (${i})${ext}`;
        path = join(folder, name);
      }
    }
    await this.write(path, bytes);
    return { name };
  }

  /** Files in the input folder (LoadImage's choices), with subfolders as `sub/name`. */
  inputFiles(): string[] {
    const out: string[] = [];
    const walk = (dir: string, rel: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name), `${rel}${e.name}/`);
        else out.push(`${rel}${e.name}`);
      }
    };
    walk(this.dirs.input, '');
    return out.sort();
  }

  /**
   * Path of an input file named like LoadImage's `image` ("sub/name.png" or "name.png [output]").
   * Like ComfyUI v0.3.64's `folder_paths.get_annotated_filepath` (an `os.path.join` onto the folder),
   * it does not keep the name inside its folder: `../output/<file>` or an absolute path reads any
   * file the server can. The API's workflow policy refuses such names at submit; this keeps the
   * stand-in as open as the real server, so tests sent straight to it see what ComfyUI would do.
   */
  annotatedPath(name: string): string | undefined {
    let type: FolderType = 'input';
    let file = name;
    const m = /^(.*) \[(output|input|temp)\]$/.exec(name);
    if (m) {
      file = m[1] ?? '';
      type = m[2] as FolderType;
    }
    if (file === '') return undefined;
    const path = resolve(this.dirs[type], file);
    return existsSync(path) && statSync(path).isFile() ? path : undefined;
  }
}

export const sha256 = (bytes: Buffer | Uint8Array): string =>
  createHash('sha256').update(bytes).digest('hex');

/** Deterministic bytes of a virtual file, in 64 KiB chunks; [start, end] inclusive. */
export function virtualStream(v: VirtualFile, start = 0, end = v.size - 1): Readable {
  const block = Buffer.alloc(CHUNK);
  let x = Number.parseInt(createHash('sha256').update(v.seed).digest('hex').slice(0, 8), 16) | 1;
  for (let i = 0; i < CHUNK; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    block.writeInt32LE(x | 0, i);
  }
  let pos = start;
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      if (pos > end) {
        this.push(null);
        return;
      }
      const index = Math.floor(pos / CHUNK);
      const chunk = Buffer.from(block);
      chunk.writeUInt32BE(index >>> 0, 0); // every chunk differs, so the sha256 covers positions
      const from = pos - index * CHUNK;
      const to = Math.min(CHUNK, end - index * CHUNK + 1);
      pos = (index + 1) * CHUNK;
      this.push(chunk.subarray(from, to));
    },
  });
}

/** sha256 of a virtual file, computed by streaming it (no buffering). */
export async function virtualSha256(v: VirtualFile): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of virtualStream(v)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export function isInside(root: string, path: string): boolean {
  const r = resolve(root);
  const p = resolve(path);
  return p === r || p.startsWith(r + sep);
}

function commonPath(a: string, b: string): string {
  const x = resolve(a).split(sep);
  const y = resolve(b).split(sep);
  const out: string[] = [];
  for (let i = 0; i < Math.min(x.length, y.length) && x[i] === y[i]; i++) out.push(x[i] ?? '');
  return out.join(sep) || sep;
}

function expandPrefix(prefix: string, width: number, height: number): string {
  if (!prefix.includes('%')) return prefix;
  const now = new Date();
  const pad = (n: number, l = 2) => String(n).padStart(l, '0');
  return prefix
    .replaceAll('%width%', String(width))
    .replaceAll('%height%', String(height))
    .replaceAll('%year%', String(now.getFullYear()))
    .replaceAll('%month%', pad(now.getMonth() + 1))
    .replaceAll('%day%', pad(now.getDate()))
    .replaceAll('%hour%', pad(now.getHours()))
    .replaceAll('%minute%', pad(now.getMinutes()))
    .replaceAll('%second%', pad(now.getSeconds()));
}
