/**
 * Every function of the product, by its manifest. The CDK stacks, the local runtime (`npm start`),
 * the benchmarks and the chaos run iterate this list; a new function is a new folder with its
 * manifest.ts, deps.ts, handler.ts and index.ts, plus one line here.
 */
import { ROUTES, type RouteSpec } from '../shared/http/routes.js';
import type { FunctionManifest } from '../shared/manifest.js';
import { manifest as authorizer } from './authorizer/manifest.js';
import { manifest as cancel } from './cancel/manifest.js';
import { manifest as createUpload } from './create-upload/manifest.js';
import { manifest as deadLetter } from './dead-letter/manifest.js';
import { manifest as dispatcher } from './dispatcher/manifest.js';
import { manifest as fleetController } from './fleet-controller/manifest.js';
import { manifest as list } from './list/manifest.js';
import { manifest as models } from './models/manifest.js';
import { manifest as poller } from './poller/manifest.js';
import { manifest as status } from './status/manifest.js';
import { manifest as submit } from './submit/manifest.js';
import { manifest as templates } from './templates/manifest.js';
import { manifest as webhookSender } from './webhook-sender/manifest.js';

export const FUNCTIONS: readonly FunctionManifest[] = [
  submit,
  list,
  status,
  cancel,
  templates,
  models,
  createUpload,
  authorizer,
  dispatcher,
  deadLetter,
  poller,
  webhookSender,
];

/**
 * Functions deployed with the GPU fleet only. `npm start` runs the same use case against its local
 * fleet in-process (infra/local/fleet), not as a function.
 */
export const FLEET_FUNCTIONS: readonly FunctionManifest[] = [fleetController];

/** The manifest of the function named `name` (its folder), or an error naming it. */
export function manifestOf(name: string): FunctionManifest {
  const found = [...FUNCTIONS, ...FLEET_FUNCTIONS].find((m) => m.name === name);
  if (!found) throw new Error(`no function named ${name} in functions/manifests.ts`);
  return found;
}

/** A route bound to the function that serves it. */
export interface BoundRoute extends RouteSpec {
  /** The function's folder under functions/. */
  readonly fn: string;
}

/** Every HTTP route, with the function its manifest binds it to. */
export const API_ROUTES: readonly BoundRoute[] = FUNCTIONS.flatMap((m) =>
  m.trigger.kind === 'http'
    ? m.trigger.routes.map((name) => ({ ...(ROUTES[name] as RouteSpec), fn: m.name }))
    : [],
);

/** The API-key authorizer: its function and how API Gateway calls it. */
export const API_KEY_AUTHORIZER = (() => {
  const m = FUNCTIONS.find((f) => f.trigger.kind === 'authorizer');
  if (m?.trigger.kind !== 'authorizer') throw new Error('no authorizer function');
  return {
    fn: m.name,
    identitySource: m.trigger.identitySource,
    resultsCacheTtlSeconds: m.trigger.resultsCacheTtlSeconds,
  };
})();
