/**
 * The workflow policy from configuration (parsed once at cold start). Operators set it with
 * `functionEnv` in the CDK context, or in the environment of `npm start`:
 * - WORKFLOW_NODE_POLICY: `deny` (default: the built-in denials, plus WORKFLOW_DENY_NODES, minus
 *   WORKFLOW_ALLOW_NODES) or `allow` (only WORKFLOW_ALLOW_NODES);
 * - WORKFLOW_MAX_NODES, _PIXELS, _BATCH, _STEPS, _FRAMES, _UPSCALE: the deployment's resource
 *   limits, which an owner's own limits (`npm run keys -- set-limits`) replace field by field.
 */
import type { Config } from '../config.js';
import type { WorkflowPolicy } from './policy.js';

/** The variables the policy is read from. */
export type WorkflowPolicyConfig = Pick<
  Config,
  | 'WORKFLOW_NODE_POLICY'
  | 'WORKFLOW_DENY_NODES'
  | 'WORKFLOW_ALLOW_NODES'
  | 'WORKFLOW_MAX_NODES'
  | 'WORKFLOW_MAX_PIXELS'
  | 'WORKFLOW_MAX_BATCH'
  | 'WORKFLOW_MAX_STEPS'
  | 'WORKFLOW_MAX_FRAMES'
  | 'WORKFLOW_MAX_UPSCALE'
>;

export function workflowPolicyFrom(config: WorkflowPolicyConfig): WorkflowPolicy {
  if (config.WORKFLOW_NODE_POLICY === 'allow' && config.WORKFLOW_ALLOW_NODES.length === 0) {
    throw new Error(
      'Invalid configuration: WORKFLOW_NODE_POLICY=allow needs WORKFLOW_ALLOW_NODES (comma-separated node classes)',
    );
  }
  return {
    nodes: {
      mode: config.WORKFLOW_NODE_POLICY,
      deny: new Set(config.WORKFLOW_DENY_NODES),
      allow: new Set(config.WORKFLOW_ALLOW_NODES),
    },
    limits: {
      nodes: config.WORKFLOW_MAX_NODES,
      pixels: config.WORKFLOW_MAX_PIXELS,
      batch: config.WORKFLOW_MAX_BATCH,
      steps: config.WORKFLOW_MAX_STEPS,
      frames: config.WORKFLOW_MAX_FRAMES,
      upscale: config.WORKFLOW_MAX_UPSCALE,
    },
  };
}
