/**
 * The arrows run one way: functions/ -> shared/ and infra/ -> shared/ (and infra/ reads the function
 * manifests), never back. Checked on the import specifiers of every source file. And each function's
 * bundle parses with zod/mini only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { FLEET_FUNCTIONS, FUNCTIONS } from '../../functions/manifests.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** `file -> target` for every relative or `#alias` import of the files under `dir`. */
function importsOf(dir: string): { file: string; target: string }[] {
  const found: { file: string; target: string }[] = [];
  for (const file of sources(dir)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)) {
      const spec = m[1] as string;
      let target: string | undefined;
      if (spec.startsWith('.')) target = resolve(dirname(file), spec);
      else if (spec.startsWith('#')) target = join(ROOT, spec.slice(1));
      if (target) found.push({ file: relative(ROOT, file), target: relative(ROOT, target) });
    }
  }
  return found;
}

const into = (top: string) => (i: { target: string }) =>
  i.target === top || i.target.startsWith(`${top}/`);

describe('import direction', () => {
  it('finds the imports it checks', () => {
    expect(importsOf('shared').length).toBeGreaterThan(100);
    expect(importsOf('functions').filter(into('shared')).length).toBeGreaterThan(10);
  });

  it('nothing under shared/ imports infra/ or functions/', () => {
    const wrong = importsOf('shared').filter((i) => into('infra')(i) || into('functions')(i));
    expect(wrong).toEqual([]);
  });

  it('nothing under functions/ imports infra/', () => {
    expect(importsOf('functions').filter(into('infra'))).toEqual([]);
  });
});

describe('Lambda bundles', () => {
  // zod/mini gives the same results and messages at a quarter of classic zod's size; classic zod
  // stays in the response schemas and OpenAPI generation (shared/http/schemas.ts, openapi.ts).
  const deployable = [...FUNCTIONS, ...FLEET_FUNCTIONS];
  it.each(deployable.map((m) => m.name))('%s bundles no classic zod', async (name) => {
    const out = await build({
      entryPoints: [join(ROOT, 'functions', name, 'index.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      external: ['@aws-sdk/*', ...(deployable.find((m) => m.name === name)?.nativeModules ?? [])],
      logLevel: 'silent',
    });
    const inputs = Object.keys(out.metafile.inputs);
    expect(inputs.some((f) => f.includes('node_modules/zod/'))).toBe(true);
    expect(inputs.filter((f) => f.includes('node_modules/zod/v4/classic/'))).toEqual([]);
  });
});
