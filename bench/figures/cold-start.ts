/**
 * Figure 7, cold start: every function of functions/manifests.ts (the GPU fleet's too) bundled
 * with esbuild as NodejsFunction bundles it (ESM, minified, target node24, main fields module,main,
 * the createRequire banner of infra/constructs/service-function.ts) with the AWS SDK v3 left external,
 * as the Lambda Node.js runtime provides it (NodejsFunction's default): its size in KB (1000 bytes,
 * the .mjs without its source map) and the median time to import it in a fresh Node process, the SDK
 * then loading from node_modules, with the variables its manifest reads set (and only those, as the
 * stack sets them). Our CDK stack bundles the SDK instead (pinned versions): that bundle's size and
 * import time are reported beside it as `deployed_kb` and `deployed_import_ms`. Architecture does not
 * matter to a JS bundle. Target: every bundle under 500 KB.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { FLEET_FUNCTIONS, FUNCTIONS } from '../../functions/manifests.js';
import type { FunctionManifest } from '../../shared/manifest.js';
import { type Figure, figure, missing } from '../lib/figure.js';
import { REPO_ROOT, RESULTS_DIR } from '../lib/paths.js';
import { median } from '../lib/stats.js';

const run = promisify(execFile);
const TARGET = { op: '<', value: 500 } as const;

/** Mirrors the bundling options of infra/constructs/service-function.ts. */
const REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module';" +
  'const require = __createRequire(import.meta.url);';

/**
 * The environment of a function's cold start, as the stack sets it: the variables its manifest reads
 * that name a resource (placeholder names; nothing is called), plus the SDK's credentials and region.
 */
function coldStartEnv(manifest: FunctionManifest): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  for (const key of manifest.config) {
    if (key.endsWith('_QUEUE_URL') || key.endsWith('_DLQ_URL'))
      env[key] = 'https://sqs.us-east-1.amazonaws.com/000000000000/bench';
    else if (/_(TABLE|BUCKET|FUNCTION|GROUP)_NAME$/.test(key))
      env[key] = `bench-${key.toLowerCase()}`;
  }
  if (manifest.config.includes('LOG_LEVEL' as never)) env.LOG_LEVEL = 'ERROR';
  return env;
}

async function bundle(entry: string, outfile: string, sdkExternal: boolean): Promise<number> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    banner: { js: REQUIRE_BANNER },
    external: sdkExternal ? ['@aws-sdk/*'] : [],
    logLevel: 'silent',
  });
  return statSync(outfile).size;
}

async function importMs(file: string, env: Record<string, string>): Promise<number> {
  const script = `const t=performance.now();await import(${JSON.stringify(pathToFileURL(file).href)});process.stdout.write(String(performance.now()-t));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  return Number(stdout);
}

export async function coldStartFigures(opts: {
  imports: number;
  log: (line: string) => void;
}): Promise<Figure[]> {
  const fnDir = join(REPO_ROOT, 'functions');
  const manifests = [...FUNCTIONS, ...FLEET_FUNCTIONS].sort((a, b) => a.name.localeCompare(b.name));
  const figures: Figure[] = [];
  for (const manifest of manifests) {
    const { name } = manifest;
    const env = coldStartEnv(manifest);
    const out = join(RESULTS_DIR, 'bundles', name);
    mkdirSync(out, { recursive: true });
    const entry = join(fnDir, name, 'index.ts');
    const file = join(out, 'index.mjs');
    try {
      const bytes = await bundle(entry, file, true);
      const deployed = join(out, 'deployed.mjs');
      const deployedBytes = await bundle(entry, deployed, false);
      const times: number[] = [];
      const deployedTimes: number[] = [];
      for (let i = 0; i < opts.imports; i++) {
        times.push(await importMs(file, env));
        deployedTimes.push(await importMs(deployed, env));
      }
      opts.log(`${name}: ${Math.round(bytes / 1000)} KB, import ${Math.round(median(times))} ms`);
      const deployedDetails = {
        deployed_kb: Math.round(deployedBytes / 100) / 10,
        deployed_import_ms: Math.round(median(deployedTimes)),
      };
      figures.push(
        figure(`bundle_kb_${name}`, bytes / 1000, 'KB', TARGET, {
          bundle: 'esm, minified, target node24, AWS SDK v3 external (from the Lambda runtime)',
          ...deployedDetails,
          deployed: 'as our CDK deploys it: the SDK bundled',
        }),
        figure(`cold_import_ms_${name}`, median(times), 'ms', undefined, {
          imports: times.length,
          min_ms: Math.round(Math.min(...times)),
          max_ms: Math.round(Math.max(...times)),
          ...deployedDetails,
          note: 'median over fresh node processes; no target set',
        }),
      );
    } catch (err) {
      const why = err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
      figures.push(
        missing(`bundle_kb_${name}`, 'KB', why, TARGET),
        missing(`cold_import_ms_${name}`, 'ms', why),
      );
    }
  }
  return figures;
}
