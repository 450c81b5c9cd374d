/**
 * The cost of the workflow checks on the submit path. In process: the policy check alone (node
 * classes, file, model and write inputs, resource limits) and the pre-flight check against a node
 * catalogue (the stand-in's /object_info, a subset of a real ComfyUI v0.3.64's: node types, required
 * inputs, types, ranges, model names) on a tiny, a text-to-image and a 200-node workflow, p50/p99 in
 * microseconds. Through the local API (real authorizer and functions, DynamoDB
 * Local, fauxqs): the latency of submissions the policy refuses, and the AWS requests an accepted and
 * a refused submission make in the submit function and the authorizer (a refusal is decided before
 * any request; other functions' background requests are not counted). No targets are set.
 */
import { randomUUID } from 'node:crypto';
import { nodeDefs } from '../../infra/local/comfy-standin/node-defs.js';
import { compactCatalog, type NodeCatalog } from '../../shared/catalog/node-catalog.js';
import { assertRunnable } from '../../shared/catalog/preflight.js';
import type { ComfyWorkflow } from '../../shared/domain/task.js';
import { DEFAULT_WORKFLOW_POLICY, enforceWorkflowPolicy } from '../../shared/workflow/policy.js';
import { type Figure, figure } from '../lib/figure.js';
import { percentile } from '../lib/stats.js';
import type { BenchSystem } from '../lib/system.js';
import { requestsByScope } from '../lib/usage.js';

/** Requests the submit path makes: the submit function and the API key authorizer. */
const submitPathRequests = (system: BenchSystem) => {
  const byScope = requestsByScope(system.meter.snapshot().requests);
  const path = Object.entries(byScope).filter(([scope]) => /submit|authorizer/.test(scope));
  return { count: path.reduce((n, [, c]) => n + c, 0), byScope };
};

const txt2img = (prefix: string): ComfyWorkflow => ({
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'model.safetensors' } },
  '5': { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 512, batch_size: 1 } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'a lighthouse', clip: ['4', 1] } },
  '7': { class_type: 'CLIPTextEncode', inputs: { text: '', clip: ['4', 1] } },
  '3': {
    class_type: 'KSampler',
    inputs: {
      seed: 1,
      steps: 20,
      cfg: 7,
      sampler_name: 'euler',
      scheduler: 'normal',
      denoise: 1,
      model: ['4', 0],
      positive: ['6', 0],
      negative: ['7', 0],
      latent_image: ['5', 0],
    },
  },
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
  '9': { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: prefix } },
});

/** 200 nodes: an image, 198 inversions of it, saved. */
const wide = (): ComfyWorkflow =>
  Object.fromEntries(
    Array.from({ length: 200 }, (_, i) => [
      String(i + 1),
      i === 0
        ? { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: 0 } }
        : i === 199
          ? { class_type: 'SaveImage', inputs: { images: [String(i), 0], filename_prefix: 'b' } }
          : { class_type: 'ImageInvert', inputs: { image: [String(i), 0] } },
    ]),
  );

/** A workflow the policy refuses, one of each kind in turn. */
const attack = (i: number): ComfyWorkflow => {
  const wf = txt2img('x');
  switch (i % 4) {
    case 0:
      wf['10'] = { class_type: 'LoadImage', inputs: { image: `${randomUUID()}/x.png [output]` } };
      break;
    case 1:
      wf['10'] = { class_type: 'SaveLoRANode', inputs: { lora: ['4', 0], prefix: 'loras/x' } };
      break;
    case 2:
      (wf['3'] as { inputs: Record<string, unknown> }).inputs.steps = 10_000;
      break;
    default:
      (wf['5'] as { inputs: Record<string, unknown> }).inputs.batch_size = 4096;
  }
  return wf;
};

const policyCheck = (workflow: ComfyWorkflow) =>
  enforceWorkflowPolicy(workflow, DEFAULT_WORKFLOW_POLICY);

/** A one-server catalogue as the poller publishes it, holding the bench workflows' checkpoint. */
const CATALOG: NodeCatalog = (() => {
  const checkpoints = ['model.safetensors', 'sd15.safetensors'];
  const objectInfo = nodeDefs({ checkpoints, inputs: [] }) as unknown as Record<string, unknown>;
  const server = compactCatalog('http://gpu-1:8188', objectInfo, { checkpoints }, 'bench');
  return { version: 1, publishedAt: server.readAt, servers: [server] };
})();
const preflightCheck = (workflow: ComfyWorkflow) => assertRunnable(CATALOG, workflow);

function timeCheck(
  check: (workflow: ComfyWorkflow) => void,
  workflow: ComfyWorkflow,
  iterations: number,
): number[] {
  check(workflow); // a workflow the check refuses would time the refusal: fail the bench instead
  const us: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    check(workflow);
    us.push((performance.now() - t) * 1000);
  }
  return us;
}

export async function policyFigures(
  system: BenchSystem,
  opts: { submissions: number; workflow: (runId: string, i: number) => ComfyWorkflow },
): Promise<Figure[]> {
  // In process (after a warm-up, so the JIT has seen the code).
  const iterations = 5000;
  timeCheck(policyCheck, txt2img('warm'), 500);
  timeCheck(preflightCheck, txt2img('warm'), 500);
  const workflows = {
    tiny: opts.workflow('bench', 0),
    txt2img: txt2img('bench'),
    nodes200: wide(),
  };
  const timed = (check: (workflow: ComfyWorkflow) => void) =>
    Object.fromEntries(
      Object.entries(workflows).map(([k, wf]) => [k, timeCheck(check, wf, iterations)]),
    ) as Record<keyof typeof workflows, number[]>;
  const checks = timed(policyCheck);
  const preflight = timed(preflightCheck);
  const summary = (runs: Record<string, number[]>) =>
    Object.fromEntries(
      Object.entries(runs).map(([k, v]) => [
        k,
        { p50_us: percentile(v, 50), p99_us: percentile(v, 99) },
      ]),
    );
  const perWorkflow = summary(checks);

  // Through the API.
  const [key] = system.keys;
  if (!key) throw new Error('the policy figures need one API key');
  const runId = randomUUID().slice(0, 8);
  await system.api.submit(key, { workflow: opts.workflow(runId, 0) });
  await system.api.submit(key, { workflow: attack(0) });
  system.meter.reset();
  const refused: number[] = [];
  const statuses: Record<string, number> = {};
  for (let i = 0; i < opts.submissions; i++) {
    const call = await system.api.submit(key, { workflow: attack(i) });
    statuses[call.status] = (statuses[call.status] ?? 0) + 1;
    if (call.status === 400) refused.push(call.ms);
  }
  const refusedRequests = submitPathRequests(system);
  system.meter.reset();
  const accepted: number[] = [];
  for (let i = 1; i <= opts.submissions; i++) {
    const call = await system.api.submit(key, { workflow: opts.workflow(runId, i) });
    if (call.status === 202) accepted.push(call.ms);
  }
  const acceptedRequests = submitPathRequests(system);
  const details = {
    submissions: opts.submissions,
    statuses,
    accepted: accepted.length,
    accepted_latency_p50_ms: accepted.length ? percentile(accepted, 50) : null,
    per_workflow: perWorkflow,
    preflight_per_workflow: summary(preflight),
    requests_by_scope_refused: refusedRequests.byScope,
    requests_by_scope_accepted: acceptedRequests.byScope,
    note: 'no target set; check = enforceWorkflowPolicy alone, preflight = assertRunnable against a one-server catalogue, in process (API functions cache the catalogue: one S3 GET per container per CATALOG_CACHE_SECONDS); latencies through the local API, one client, sequential; requests of the submit function and authorizer only',
  };
  return [
    figure('policy_check_p50_us', percentile(checks.txt2img, 50), 'us', undefined, details),
    figure('policy_check_p99_us', percentile(checks.txt2img, 99), 'us', undefined, details),
    figure('preflight_check_p50_us', percentile(preflight.txt2img, 50), 'us', undefined, details),
    figure('preflight_check_p99_us', percentile(preflight.txt2img, 99), 'us', undefined, details),
    figure('policy_refusal_p50_ms', percentile(refused, 50), 'ms', undefined, details),
    figure('policy_refusal_p99_ms', percentile(refused, 99), 'ms', undefined, details),
    figure(
      'policy_requests_per_refused_submit',
      refusedRequests.count / Math.max(1, refused.length),
      'requests',
      undefined,
      details,
    ),
    figure(
      'requests_per_accepted_submit',
      acceptedRequests.count / Math.max(1, accepted.length),
      'requests',
      undefined,
      details,
    ),
  ];
}
