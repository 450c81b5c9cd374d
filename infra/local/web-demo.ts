/**
 * The web demo (clients/web-demo): built with esbuild from TypeScript into three static files,
 * `index.html`, `app.js` and `style.css`. `npm start` builds it in memory and serves it at
 * `/demo/` of the local API; `npm run demo:build` writes the same files to a folder for hosting
 * on any static site an operator allows in `corsOrigins`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

interface StaticFile {
  contentType: string;
  body: Buffer;
}

/** Path under the site -> file. */
export type StaticSite = ReadonlyMap<string, StaticFile>;

export const DEMO_PREFIX = '/demo/';

export async function buildWebDemo(root: string): Promise<StaticSite> {
  const dir = join(root, 'clients', 'web-demo');
  const out = await build({
    entryPoints: [join(dir, 'src', 'main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    minify: true,
    sourcemap: false,
    write: false,
    logLevel: 'silent',
  });
  const js = out.outputFiles[0];
  if (!js) throw new Error('esbuild produced no output for the web demo');
  return new Map<string, StaticFile>([
    [
      'index.html',
      { contentType: 'text/html; charset=utf-8', body: readFileSync(join(dir, 'index.html')) },
    ],
    [
      'style.css',
      { contentType: 'text/css; charset=utf-8', body: readFileSync(join(dir, 'style.css')) },
    ],
    ['app.js', { contentType: 'text/javascript; charset=utf-8', body: Buffer.from(js.contents) }],
  ]);
}

/**
 * The browser origins the local S3 must allow: the stack's (`--cors-origin`) and the local API's
 * own, where the demo is served.
 */
export function browserOrigins(apiPort: number, corsOrigins: readonly string[]): string[] {
  return [
    ...new Set([...corsOrigins, `http://127.0.0.1:${apiPort}`, `http://localhost:${apiPort}`]),
  ];
}
