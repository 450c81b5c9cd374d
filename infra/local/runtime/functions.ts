/**
 * Loads `functions/<name>/index.ts` and its exported `handler`, the same entry the CDK stacks
 * bundle, with the timeout of the function's manifest. Import functions only after the function
 * environment is set: each index.ts parses its config at import, as a cold start does.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FunctionManifest } from '../../../shared/manifest.js';
import type { AnyHandler, LocalFunction } from './invoke.js';

const functionEntry = (root: string, name: string) => join(root, 'functions', name, 'index.ts');

/** The function, or undefined when its folder does not exist (yet) on this branch. */
export async function loadFunction(
  root: string,
  manifest: FunctionManifest,
): Promise<LocalFunction | undefined> {
  const entry = functionEntry(root, manifest.name);
  if (!existsSync(entry)) return undefined;
  const mod = (await import(pathToFileURL(entry).href)) as { handler?: unknown };
  if (typeof mod.handler !== 'function') {
    throw new Error(`${entry} does not export a handler function`);
  }
  return localFunction(manifest, mod.handler as AnyHandler);
}

/** A handler run locally with its manifest's name and timeout. */
export const localFunction = (manifest: FunctionManifest, handler: AnyHandler): LocalFunction => ({
  name: manifest.name,
  handler,
  timeoutMs: manifest.timeoutSeconds * 1000,
});
