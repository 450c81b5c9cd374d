/**
 * Loads `functions/<name>/index.ts` and its exported `handler`, the same entry the CDK stacks
 * bundle. Import only after the function environment is set: each index.ts parses its config at
 * import, as a Lambda cold start does.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DISPATCHER_TIMEOUT_SECONDS } from '../../resources.js';
import type { AnyHandler, LocalFunction } from './invoke.js';

/** Timeouts as deployed: API functions under API Gateway's 30 s limit, the poller one full run. */
export const FUNCTION_TIMEOUT_MS: Readonly<Record<string, number>> = {
  authorizer: 10_000,
  submit: 29_000,
  status: 29_000,
  list: 29_000,
  cancel: 29_000,
  templates: 29_000,
  'create-upload': 29_000,
  dispatcher: DISPATCHER_TIMEOUT_SECONDS * 1000,
  'dead-letter': DISPATCHER_TIMEOUT_SECONDS * 1000,
  poller: 60_000,
};

export const functionEntry = (root: string, name: string) =>
  join(root, 'functions', name, 'index.ts');

/** The function, or undefined when its folder does not exist (yet) on this branch. */
export async function loadFunction(
  root: string,
  name: string,
  timeoutMs = FUNCTION_TIMEOUT_MS[name] ?? 30_000,
): Promise<LocalFunction | undefined> {
  const entry = functionEntry(root, name);
  if (!existsSync(entry)) return undefined;
  const mod = (await import(pathToFileURL(entry).href)) as { handler?: unknown };
  if (typeof mod.handler !== 'function') {
    throw new Error(`${entry} does not export a handler function`);
  }
  return { name, handler: mod.handler as AnyHandler, timeoutMs };
}
