import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../../functions/manifests.js';
import { buildOpenApi } from '../../../shared/http/openapi.js';

describe('docs/openapi.json', () => {
  it('is exactly what the zod schemas generate (run `npm run openapi` after changing them)', () => {
    const committed = JSON.parse(
      readFileSync(new URL('../../../docs/openapi.json', import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(JSON.parse(JSON.stringify(buildOpenApi())));
  });

  it('describes every route a function serves and nothing else', () => {
    const doc = buildOpenApi() as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    const routes = API_ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(documented.sort()).toEqual([...routes].sort());
  });

  it('resolves every $ref inside the document', () => {
    const doc = buildOpenApi();
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const r of refs) {
      const pointer = r.slice(8, -1);
      expect(pointer.startsWith('#/')).toBe(true);
      let node: unknown = doc;
      for (const part of pointer.slice(2).split('/'))
        node = (node as Record<string, unknown>)?.[part];
      expect(node, pointer).toBeDefined();
    }
  });
});
