/**
 * A compiled template: its params validated by a zod schema derived from the file, and `render`, which
 * turns a request's params into a workflow. Compilation checks the file itself (workflow format,
 * targets that exist), so a broken operator template fails the cold start with its file name instead
 * of failing requests.
 */
import { randomInt } from 'node:crypto';
import { InvalidRequestError } from '../domain/errors.js';
import type { ComfyWorkflow } from '../domain/task.js';
import { uploadRef } from '../workflow/upload-refs.js';
import { type ValidatedWorkflow, validateWorkflow } from '../workflow/validate-workflow.js';
import { paramsJsonSchema, paramsSchema } from './params-schema.js';
import type { ParamSpec, TemplateFile } from './template-file.js';

export interface TemplateSummary {
  name: string;
  description: string;
  /** JSON Schema of the params object. */
  params: Record<string, unknown>;
}

/** Random integer in [min, max]; injectable so tests are deterministic. */
type RandomInt = (min: number, max: number) => number;
const defaultRandom: RandomInt = (min, max) =>
  max - min < 2 ** 48 ? randomInt(min, max + 1) : min + Math.floor(Math.random() * (max - min));

export interface Template {
  readonly name: string;
  readonly summary: TemplateSummary;
  /** Validate params (INVALID_PARAMS on failure) and produce the workflow to run. */
  render(params: unknown, random?: RandomInt): ValidatedWorkflow;
}

export function compileTemplate(file: TemplateFile, source: string): Template {
  const base = validateTemplateWorkflow(file, source);
  for (const [name, spec] of Object.entries(file.params)) checkTargets(base, name, spec, source);
  const schema = paramsSchema(file.params);
  const summary: TemplateSummary = {
    name: file.name,
    description: file.description,
    params: paramsJsonSchema(schema),
  };
  return {
    name: file.name,
    summary,
    render(params, random = defaultRandom) {
      const parsed = schema.safeParse(params ?? {});
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({
          path: ['params', ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
          message: i.message,
        }));
        throw new InvalidRequestError(
          `The params do not fit template ${file.name}; GET /v1/templates has its schema.`,
          { issues },
          'INVALID_PARAMS',
        );
      }
      const values = parsed.data as Record<string, unknown>;
      const workflow = structuredClone(base);
      for (const [name, spec] of Object.entries(file.params)) {
        const value = valueFor(spec, values[name], random);
        if (value === undefined) continue;
        for (const t of spec.targets) {
          const node = workflow[t.node];
          if (node) node.inputs[t.input] = value;
        }
      }
      return validateWorkflow(workflow, ['template', file.name, 'workflow']);
    },
  };
}

function valueFor(spec: ParamSpec, given: unknown, random: RandomInt): unknown {
  if (given !== undefined) {
    return spec.type === 'upload' ? uploadRef((given as string).replace(/^upload:/, '')) : given;
  }
  if (spec.type === 'integer' && spec.default === 'random') {
    return random(spec.minimum ?? 0, spec.maximum ?? 2 ** 32 - 1);
  }
  return undefined;
}

function validateTemplateWorkflow(file: TemplateFile, source: string): ComfyWorkflow {
  try {
    return validateWorkflow(file.workflow, ['workflow']).workflow;
  } catch (err) {
    const details = err instanceof InvalidRequestError ? JSON.stringify(err.details) : '';
    throw new Error(`Template ${source}: ${(err as Error).message} ${details}`.trim());
  }
}

function checkTargets(workflow: ComfyWorkflow, name: string, spec: ParamSpec, source: string) {
  for (const t of spec.targets) {
    const node = workflow[t.node];
    if (!node || !Object.hasOwn(node.inputs, t.input)) {
      throw new Error(
        `Template ${source}: param ${name} targets ${t.node}.inputs.${t.input}, which the workflow does not have.`,
      );
    }
  }
}
