/**
 * `npm start` keeps the functions at WARN unless LOG_LEVEL says otherwise. Powertools' logger returns
 * to the level it was built with at every warm invocation (injectLambdaContext), so the level must be
 * in the environment before the logger's module loads, as on Lambda.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/local-runtime.js';

const run = promisify(execFile);

/** The level a warm invocation returns the shared logger to, in a fresh process. */
async function levelAfterWarmInvocation(env: Record<string, string>, first: string[]) {
  const imports = [...first, './shared/observability.ts'].map((m) => `await import('${m}');`);
  const script = `${imports.join(' ')}
    const { logger } = await import('./shared/observability.ts');
    logger.setLogLevel('DEBUG');
    logger.refreshSampleRateCalculation(); // the cold start's
    logger.refreshSampleRateCalculation(); // a warm invocation's: back to the initial level
    console.log(logger.getLevelName());`;
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/LOG_LEVEL$/.test(k)),
  ) as Record<string, string>;
  const { stdout } = await run('npx', ['tsx', '--eval', script, '--input-type=module'], {
    cwd: REPO_ROOT,
    env: { ...clean, ...env },
  });
  return stdout.trim().split('\n').pop();
}

describe("npm start's functions' log level", () => {
  it('is WARN by default, when the start sets it before the logger loads', async () => {
    expect(await levelAfterWarmInvocation({}, ['./infra/local/start/log-level.ts'])).toBe('WARN');
    // What happened without it: the logger went back to INFO after the first invocation.
    expect(await levelAfterWarmInvocation({}, [])).toBe('INFO');
  }, 60_000);

  it('is what LOG_LEVEL says when set', async () => {
    expect(
      await levelAfterWarmInvocation({ LOG_LEVEL: 'DEBUG' }, ['./infra/local/start/log-level.ts']),
    ).toBe('DEBUG');
  }, 60_000);
});
