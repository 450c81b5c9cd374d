/**
 * The real `cdk synth` of infra/bin/app.ts, as CI and operators run it: every function bundled by
 * the local esbuild (Docker is made unusable), CDK's template validation and cdk-nag on, no AWS
 * credentials. The other infra tests skip bundling; this one checks the bundles themselves.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_FUNCTIONS, FUNCTIONS } from '../../functions/manifests.js';
import { PROJECT_ROOT } from '../../infra/paths.js';

/** Largest acceptable bundle (minified ESM, AWS SDK included) of one function. */
const BUNDLE_BUDGET_BYTES = 2 * 1024 * 1024;

const out = mkdtempSync(join(tmpdir(), 'cdk-synth-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('cdk synth (the app, with bundling)', () => {
  let log = '';
  let bundles: { dir: string; code: string; bytes: number }[] = [];

  beforeAll(() => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      CDK_DOCKER: '/bin/false',
      CDK_DISABLE_VERSION_CHECK: 'true',
      CDK_DISABLE_CLI_TELEMETRY: 'true',
    };
    for (const name of Object.keys(env)) if (/^(AWS_|CDK_DEFAULT_)/.test(name)) delete env[name];
    env.AWS_EC2_METADATA_DISABLED = 'true'; // no credential lookups that wait on a timeout
    const synth = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', out], {
      cwd: PROJECT_ROOT,
      env,
      encoding: 'utf8',
    });
    log = `${synth.stdout}\n${synth.stderr}`;
    if (synth.status !== 0) throw new Error(`cdk synth failed (${synth.status}):\n${log}`);
    bundles = readdirSync(out)
      .map((name) => join(out, name, 'index.mjs'))
      .filter((file) => existsSync(file))
      .map((file) => ({
        dir: file,
        code: readFileSync(file, 'utf8'),
        bytes: statSync(file).size,
      }));
  }, 180_000);

  it('writes both stacks', () => {
    expect(existsSync(join(out, 'ComfyServerless-Stateful.template.json'))).toBe(true);
    expect(existsSync(join(out, 'ComfyServerless-Stateless.template.json'))).toBe(true);
    expect(log).toMatch(/Bundling asset/);
    expect(log).not.toMatch(/docker run/i);
  });

  it('bundles every function as one minified ES module with its source map', () => {
    expect(bundles).toHaveLength(FUNCTIONS.length + FLEET_FUNCTIONS.length);
    for (const bundle of bundles) {
      expect(
        bundle.code.startsWith("import { createRequire as __createRequire } from 'node:module';"),
      ).toBe(true);
      expect(bundle.code).toMatch(/export\s*\{[^}]*\bhandler\b/);
      expect(existsSync(`${bundle.dir}.map`)).toBe(true);
    }
  });

  it(`keeps every bundle under ${BUNDLE_BUDGET_BYTES / 1024 / 1024} MiB`, () => {
    for (const bundle of bundles)
      expect(bundle.bytes, bundle.dir).toBeLessThan(BUNDLE_BUDGET_BYTES);
  });

  it('passes the template validation and cdk-nag', () => {
    const report = JSON.parse(readFileSync(join(out, 'validation-report.json'), 'utf8'));
    const failures = (report.pluginReports ?? []).flatMap(
      (r: { violations?: { severity?: string; ruleName: string }[] }) =>
        (r.violations ?? []).filter((v) => v.severity === 'error'),
    );
    expect(failures).toEqual([]);
  });

  it("installs sharp beside the poller's bundle for Lambda's platform (linux arm64), not this machine's", () => {
    const poller = bundles.filter((b) => existsSync(join(b.dir, '..', 'node_modules', 'sharp')));
    expect(poller).toHaveLength(1);
    const modules = join(poller[0]?.dir as string, '..', 'node_modules');
    expect(existsSync(join(modules, '@img', 'sharp-linux-arm64'))).toBe(true);
    expect(existsSync(join(modules, '@img', 'sharp-libvips-linux-arm64'))).toBe(true);
    expect(existsSync(join(modules, '@img', 'sharp-linux-x64'))).toBe(false);
    const pinned = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')).dependencies
      .sharp;
    expect(JSON.parse(readFileSync(join(modules, 'sharp', 'package.json'), 'utf8')).version).toBe(
      pinned,
    );
    expect(poller[0]?.code).toMatch(/from\s*["']sharp["']/);
  });
});
