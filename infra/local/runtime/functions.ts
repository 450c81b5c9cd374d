/**
 * Loads `functions/<name>/index.ts` and its exported `handler`, the same entry the CDK stacks
 * bundle, and holds the deployment settings the local runtime mirrors (timeouts, event source
 * batch sizes and concurrency, the poller's rate). test/infra/local-parity.test.ts checks them
 * against the synthesized stack, so the two cannot drift apart. Import functions only after the
 * function environment is set: each index.ts parses its config at import, as a cold start does.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyHandler, LocalFunction } from './invoke.js';

/** Each function's timeout as deployed (infra/constructs). */
export const FUNCTION_TIMEOUT_MS: Readonly<Record<string, number>> = {
  authorizer: 10_000,
  submit: 10_000,
  status: 28_000,
  list: 10_000,
  cancel: 10_000,
  templates: 10_000,
  models: 10_000,
  'create-upload': 10_000,
  dispatcher: 30_000,
  'dead-letter': 10_000,
  poller: 90_000,
  'webhook-sender': 30_000,
};

/** The SQS event source mappings as deployed (infra/constructs/dispatch-pipeline.ts). */
export const EVENT_SOURCES = {
  dispatcher: { batchSize: 10, maxConcurrency: 2 },
  'dead-letter': { batchSize: 10, maxConcurrency: 2 },
  'webhook-sender': { batchSize: 10, maxConcurrency: 2 },
} as const;

/** The poller's EventBridge rate as deployed (infra/constructs/task-poller.ts). */
export const POLLER_RATE_MS = 60_000;

const functionEntry = (root: string, name: string) => join(root, 'functions', name, 'index.ts');

/** The function, or undefined when its folder does not exist. */
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
