import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../shared/domain/errors.js';
import type { ComfyWorkflow } from '../../../shared/domain/task.js';
import { nodeClassProblem } from '../../../shared/workflow/node-policy.js';
import {
  DEFAULT_WORKFLOW_POLICY,
  enforceWorkflowPolicy,
  type WorkflowPolicy,
} from '../../../shared/workflow/policy.js';
import { validateWorkflow } from '../../../shared/workflow/validate-workflow.js';
import { baseWorkflow, WORKFLOW_ATTACKS } from '../../helpers/workflow-attacks.js';

const UPLOAD = '0b7c4a52-4f0e-4b7a-9d0a-1c2b3d4e5f60';

function refusal(workflow: ComfyWorkflow, policy: WorkflowPolicy = DEFAULT_WORKFLOW_POLICY) {
  try {
    validateWorkflow(workflow);
    enforceWorkflowPolicy(workflow, policy);
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  return undefined;
}
const issuesOf = (err: DomainError | undefined) =>
  (err?.details as { issues: { path: unknown[]; message: string }[] } | undefined)?.issues ?? [];

describe('enforceWorkflowPolicy', () => {
  it('accepts a plain text-to-image workflow and an image read through an upload reference', () => {
    // Prepare
    const wf = {
      ...baseWorkflow(),
      '10': { class_type: 'LoadImage', inputs: { image: `upload:${UPLOAD}` } },
      '11': {
        class_type: 'LoadImageMask',
        inputs: { image: `upload:${UPLOAD}`, channel: 'alpha' },
      },
      '12': {
        class_type: 'CLIPTextEncode',
        inputs: { text: '..\\(word\\) /imagine ../x', clip: ['4', 1] },
      },
      '13': {
        class_type: 'LoraLoader',
        inputs: {
          lora_name: 'styles/ink.safetensors',
          model: ['4', 0],
          clip: ['4', 1],
          strength_model: 1,
          strength_clip: 1,
        },
      },
    };
    // Act + Assess
    expect(refusal(wf)).toBeUndefined();
  });

  it.each(WORKFLOW_ATTACKS.map((a) => [a.name, a] as const))(
    'refuses %s, naming the input',
    (_name, attack) => {
      // Act
      const err = refusal(attack.workflow);
      // Assess
      expect(err?.code).toBe(attack.code);
      expect(issuesOf(err)[0]?.path).toEqual(['workflow', ...attack.path]);
      if (attack.limit) {
        const details = err?.details as { limit: string; max: number };
        expect(details.limit).toBe(attack.limit);
        expect(err?.message).toContain(`${attack.limit} limit`);
        expect(err?.message).toContain(String(details.max));
      }
    },
  );

  it('says which limit and its value', () => {
    // Prepare
    const wf = baseWorkflow();
    (wf['3'] as { inputs: Record<string, unknown> }).inputs.steps = 151;
    // Act
    const err = refusal(wf);
    // Assess
    expect(err?.message).toBe(
      'workflow.3.inputs.steps asks for 151 sampler steps; the steps limit is 150',
    );
    expect(err?.details).toMatchObject({ limit: 'steps', max: 150, value: 151 });
  });

  it('applies owner limits in place of the deployment defaults', () => {
    // Prepare
    const wf = baseWorkflow();
    (wf['3'] as { inputs: Record<string, unknown> }).inputs.steps = 400;
    const generous = {
      ...DEFAULT_WORKFLOW_POLICY,
      limits: { ...DEFAULT_WORKFLOW_POLICY.limits, steps: 500 },
    };
    const strict = {
      ...DEFAULT_WORKFLOW_POLICY,
      limits: { ...DEFAULT_WORKFLOW_POLICY.limits, pixels: 256 * 256 },
    };
    // Act + Assess
    expect(refusal(wf, generous)).toBeUndefined();
    expect(refusal(baseWorkflow(), strict)?.details).toMatchObject({ limit: 'pixels' });
  });

  it('in allow-list mode accepts only the listed classes', () => {
    // Prepare
    const allow = new Set(Object.values(baseWorkflow()).map((n) => n.class_type));
    const policy: WorkflowPolicy = {
      ...DEFAULT_WORKFLOW_POLICY,
      nodes: { mode: 'allow', allow, deny: new Set() },
    };
    const extra = {
      ...baseWorkflow(),
      '20': { class_type: 'ImageInvert', inputs: { image: ['8', 0] } },
    };
    // Act
    const err = refusal(extra, policy);
    // Assess
    expect(refusal(baseWorkflow(), policy)).toBeUndefined();
    expect(err?.code).toBe('WORKFLOW_POLICY_VIOLATION');
    expect(issuesOf(err)[0]?.path).toEqual(['workflow', '20', 'class_type']);
  });

  it('in deny-list mode adds the operator denials and lifts the listed defaults', () => {
    // Prepare
    const policy = {
      mode: 'deny' as const,
      deny: new Set(['ImageInvert']),
      allow: new Set(['LoadImageOutput']),
    };
    // Act + Assess
    expect(nodeClassProblem(policy, 'ImageInvert')).toMatch(/denied/);
    expect(nodeClassProblem(policy, 'LoadImageOutput')).toBeUndefined();
    expect(nodeClassProblem(policy, 'SaveLoRANode')).toMatch(/denied by default/);
    expect(nodeClassProblem(DEFAULT_WORKFLOW_POLICY.nodes, 'KSampler')).toBeUndefined();
  });
});
