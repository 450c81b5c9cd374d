/**
 * `npm run demo:build [-- DIR]`: writes the web demo's static files (index.html, app.js, style.css)
 * to DIR (default .local/web-demo) for hosting on any static site. Its origin must be in the stack's
 * `corsOrigins`, which both the API and the outputs bucket allow; the page asks for the API URL
 * (or takes it from `?api=`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildWebDemo } from '../infra/local/web-demo.js';

const root = resolve(import.meta.dirname, '..');
const outDir = resolve(process.argv[2] ?? join(root, '.local', 'web-demo'));
mkdirSync(outDir, { recursive: true });
for (const [name, file] of await buildWebDemo(root)) writeFileSync(join(outDir, name), file.body);
console.log(`wrote the web demo to ${outDir}`);
