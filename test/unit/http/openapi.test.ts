import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
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

  it('says where the API is served and under which license', () => {
    const doc = buildOpenApi() as {
      info: { license?: { name: string; identifier?: string } };
      servers?: { url: string }[];
    };
    expect(doc.info.license).toEqual({ name: 'MIT', identifier: 'MIT' });
    expect(doc.servers?.map((s) => s.url)).toEqual([
      'https://{apiId}.execute-api.{region}.amazonaws.com',
      'http://127.0.0.1:3000',
    ]);
  });

  it('lints clean with Redocly (recommended rules, warnings as errors: redocly.yaml)', async () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const cli = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js');
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve) => {
        execFile(
          process.execPath,
          [cli, 'lint', 'docs/openapi.json', '--format', 'json'],
          {
            cwd: root,
            env: {
              ...process.env,
              REDOCLY_TELEMETRY: 'off',
              REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
            },
          },
          (err, stdout, stderr) =>
            resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
        );
      },
    );
    // stdout is the JSON report; stderr has only Redocly's notices (e.g. Node 20 deprecation).
    const report = JSON.parse(result.stdout) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; message: string }[];
    };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    expect(result.code).toBe(0);
  }, 60_000);
});
