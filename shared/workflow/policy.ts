/**
 * The workflow policy, enforced at submit before anything is stored, on raw workflows and on the
 * rendered workflows of templates alike: node classes (node-policy.ts), file, model and write inputs
 * (file-inputs.ts), then resource bounds (resource-limits.ts). A refusal is a 400 naming the input's
 * path: WORKFLOW_POLICY_VIOLATION or WORKFLOW_LIMIT_EXCEEDED (which says the limit and its value).
 */
import { WorkflowLimitExceededError, WorkflowPolicyViolationError } from '../domain/errors.js';
import type { ComfyWorkflow } from '../domain/task.js';
import { inputValueProblem } from './file-inputs.js';
import { DEFAULT_NODE_POLICY, type NodePolicy, nodeClassProblem } from './node-policy.js';
import {
  DEFAULT_RESOURCE_LIMITS,
  type LimitBreach,
  limitBreaches,
  type ResourceLimits,
} from './resource-limits.js';
import type { Issue, Path } from './validate-workflow.js';

export interface WorkflowPolicy {
  nodes: NodePolicy;
  /** The deployment's resource bounds; an owner's overrides are applied by the caller. */
  limits: ResourceLimits;
}

export const DEFAULT_WORKFLOW_POLICY: WorkflowPolicy = {
  nodes: DEFAULT_NODE_POLICY,
  limits: { ...DEFAULT_RESOURCE_LIMITS },
};

/** Most problems listed in one error's details. */
const MAX_LISTED = 20;
const show = (path: Path) => path.join('.');

/** Every node-class and input problem of the workflow (empty when it complies). */
function policyIssues(workflow: ComfyWorkflow, nodes: NodePolicy, base: Path): Issue[] {
  const issues: Issue[] = [];
  for (const [id, node] of Object.entries(workflow)) {
    const classProblem = nodeClassProblem(nodes, node.class_type);
    if (classProblem) {
      issues.push({
        path: [...base, id, 'class_type'],
        message: `node class ${JSON.stringify(node.class_type)} ${classProblem}`,
      });
      continue;
    }
    for (const [name, value] of Object.entries(node.inputs)) {
      const problem = inputValueProblem(node.class_type, name, value);
      if (problem) issues.push({ path: [...base, id, 'inputs', name], message: problem });
    }
  }
  return issues;
}

/** Throws WorkflowPolicyViolationError or WorkflowLimitExceededError; returns when the workflow complies. */
export function enforceWorkflowPolicy(
  workflow: ComfyWorkflow,
  policy: WorkflowPolicy,
  base: Path = ['workflow'],
): void {
  const issues = policyIssues(workflow, policy.nodes, base);
  const first = issues[0];
  if (first) {
    throw new WorkflowPolicyViolationError(
      `${show(first.path)}: ${first.message}.`,
      issues.slice(0, MAX_LISTED),
    );
  }
  const breaches = limitBreaches(workflow, policy.limits, base);
  const breach = breaches[0];
  if (breach) {
    throw new WorkflowLimitExceededError(limitMessage(breach), {
      limit: breach.limit,
      max: breach.max,
      ...(breach.value === undefined ? {} : { value: breach.value }),
      issues: breaches.slice(0, MAX_LISTED).map((b) => ({
        path: b.path,
        message: limitMessage(b),
      })),
    });
  }
}

const WHAT: Record<LimitBreach['limit'], string> = {
  nodes: 'nodes',
  pixels: 'pixels (width × height × batch)',
  batch: 'images in a batch',
  steps: 'sampler steps',
  frames: 'frames',
  upscale: 'as scale factor',
};

function limitMessage(b: LimitBreach): string {
  const where = show(b.path);
  if (b.value === undefined) {
    return `${where} is linked to a node whose value is only known at run time, so the ${b.limit} limit (${b.max}) cannot be checked; give a number (or a PrimitiveInt/PrimitiveFloat node)`;
  }
  return `${where} asks for ${b.value} ${WHAT[b.limit]}; the ${b.limit} limit is ${b.max}`;
}
