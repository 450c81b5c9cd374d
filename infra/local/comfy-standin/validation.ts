/**
 * `execution.validate_prompt` of ComfyUI v0.3.64, for the node classes the stand-in knows: the same
 * checks in the same order and the same error bodies (type, message, details, extra_info), so 400s
 * from the stand-in look like test/fixtures/comfy/bad_prompts.json. Values that convert are
 * written back into the prompt (as ComfyUI does), so history shows the coerced graph.
 */
import type { NodeDef } from './node-defs.js';
import { pyRepr, pyStr } from './py-json.js';
import type { Workflow } from './state.js';

interface ErrorBody {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}
interface NodeErrorEntry {
  errors: ErrorBody[];
  dependent_outputs: string[];
  class_type: string;
}
export type Validation =
  | { ok: true; outputs: string[]; nodeErrors: Record<string, NodeErrorEntry> }
  | { ok: false; error: ErrorBody; nodeErrors: Record<string, NodeErrorEntry> };

export interface ValidationContext {
  defs: Record<string, NodeDef>;
  /** LoadImage's VALIDATE_INPUTS: does this annotated input file exist? */
  inputExists(name: string): boolean;
}

type Result = [boolean, ErrorBody[]];

class PyKeyError extends Error {
  constructor(readonly key: string) {
    super(`'${key}'`);
  }
}

export function validatePrompt(
  prompt: Workflow,
  ctx: ValidationContext,
  partialTargets?: string[],
): Validation {
  for (const [id, node] of Object.entries(prompt)) {
    if (!node || typeof node !== 'object' || !('class_type' in node)) {
      return fail(
        'invalid_prompt',
        'Cannot execute because a node is missing the class_type property.',
        `Node ID '#${id}'`,
      );
    }
    if (!ctx.defs[node.class_type]) {
      return fail(
        'invalid_prompt',
        `Cannot execute because node ${node.class_type} does not exist.`,
        `Node ID '#${id}'`,
      );
    }
  }
  let outputs = Object.keys(prompt).filter(
    (id) => ctx.defs[prompt[id]?.class_type ?? '']?.output_node === true,
  );
  if (partialTargets) outputs = outputs.filter((o) => partialTargets.includes(o));
  if (outputs.length === 0) return fail('prompt_no_outputs', 'Prompt has no outputs', '');

  const validated = new Map<string, Result>();
  const good: string[] = [];
  const failed: [string, ErrorBody[]][] = [];
  const nodeErrors: Record<string, NodeErrorEntry> = {};
  for (const o of outputs) {
    let result: Result;
    try {
      result = validateInputs(prompt, o, validated, ctx);
    } catch (ex) {
      result = [
        false,
        [exceptionReason('exception_during_validation', 'Exception when validating node', ex)],
      ];
      validated.set(o, result);
    }
    if (result[0]) {
      good.push(o);
      continue;
    }
    failed.push([o, result[1]]);
    for (const [nodeId, [valid, reasons]] of validated) {
      if (valid || reasons.length === 0) continue;
      nodeErrors[nodeId] ??= {
        errors: reasons,
        dependent_outputs: [],
        class_type: prompt[nodeId]?.class_type ?? '',
      };
      nodeErrors[nodeId].dependent_outputs.push(o);
    }
  }
  if (good.length > 0) return { ok: true, outputs: good, nodeErrors };
  const details = failed
    .flatMap(([, errs]) => errs.map((e) => `${e.message}: ${e.details}`))
    .join('\n');
  return {
    ok: false,
    error: {
      type: 'prompt_outputs_failed_validation',
      message: 'Prompt outputs failed validation',
      details,
      extra_info: {},
    },
    nodeErrors,
  };
}

function fail(type: string, message: string, details: string): Validation {
  return { ok: false, error: { type, message, details, extra_info: {} }, nodeErrors: {} };
}

function exceptionReason(
  type: string,
  message: string,
  ex: unknown,
  extra: Record<string, unknown> = {},
): ErrorBody {
  const isKey = ex instanceof PyKeyError;
  const text = ex instanceof Error ? ex.message : String(ex);
  return {
    type,
    message,
    details: text,
    // Key order as execution.py writes it: input_name, input_config, exception_message,
    // exception_type, traceback, linked_node.
    extra_info: {
      ...(extra.input_name === undefined
        ? {}
        : { input_name: extra.input_name, input_config: extra.input_config }),
      ...(type === 'exception_during_inner_validation' ? { exception_message: text } : {}),
      exception_type: isKey ? 'KeyError' : ex instanceof TypeError ? 'TypeError' : 'Exception',
      traceback: ['  File "comfy-standin/validation.ts", in validate_inputs\n'],
      ...(extra.linked_node === undefined ? {} : { linked_node: extra.linked_node }),
    },
  };
}

function validateInputs(
  prompt: Workflow,
  id: string,
  validated: Map<string, Result>,
  ctx: ValidationContext,
): Result {
  const done = validated.get(id);
  if (done) return done;
  const node = prompt[id];
  if (!node) throw new PyKeyError(id);
  const def = ctx.defs[node.class_type] as NodeDef;
  node.inputs ??= {};
  const inputs = node.inputs;
  const errors: ErrorBody[] = [];
  let valid = true;
  const specs: [
    string,
    'required' | 'optional',
    NonNullable<NodeDef['input']['required']>[string],
  ][] = [
    ...Object.entries(def.input.required ?? {}).map(([k, v]) => [k, 'required', v] as const),
    ...Object.entries(def.input.optional ?? {}).map(([k, v]) => [k, 'optional', v] as const),
  ] as never;
  const customValidated = node.class_type === 'LoadImage' ? new Set(['image']) : new Set<string>();

  for (const [x, category, spec] of specs) {
    const inputType = spec[0];
    const extra = (spec[1] ?? {}) as Record<string, unknown>;
    const info = [inputType, extra];
    if (!(x in inputs)) {
      if (category === 'required') {
        errors.push({
          type: 'required_input_missing',
          message: 'Required input is missing',
          details: x,
          extra_info: { input_name: x },
        });
      }
      continue;
    }
    let val = inputs[x];
    if (Array.isArray(val)) {
      if (val.length !== 2) {
        errors.push({
          type: 'bad_linked_input',
          message: 'Bad linked input, must be a length-2 list of [node_id, slot_index]',
          details: x,
          extra_info: { input_name: x, input_config: info, received_value: val },
        });
        continue;
      }
      const oId = String(val[0]);
      const upstream = prompt[oId];
      if (!upstream) throw new PyKeyError(oId);
      const returnTypes = ctx.defs[upstream.class_type]?.output ?? [];
      const slot = val[1];
      if (typeof slot !== 'number' || slot < 0 || slot >= returnTypes.length) {
        throw new Error(
          typeof slot === 'number'
            ? 'tuple index out of range'
            : 'tuple indices must be integers or slices, not str',
        );
      }
      const received = returnTypes[slot] as string;
      if (!typesMatch(received, inputType)) {
        errors.push({
          type: 'return_type_mismatch',
          message: 'Return type mismatch between linked nodes',
          details: `${x}, received_type(${received}) mismatch input_type(${pyStr(inputType)})`,
          extra_info: {
            input_name: x,
            input_config: info,
            received_type: received,
            linked_node: val,
          },
        });
        continue;
      }
      try {
        const r = validateInputs(prompt, oId, validated, ctx);
        if (!r[0]) valid = false;
      } catch (ex) {
        valid = false;
        validated.set(oId, [
          false,
          [
            exceptionReason(
              'exception_during_inner_validation',
              'Exception when validating inner node',
              ex,
              { input_name: x, input_config: info, linked_node: val },
            ),
          ],
        ]);
      }
      continue;
    }
    if (val !== null && typeof val === 'object' && '__value__' in val) {
      val = (val as { __value__: unknown }).__value__;
      inputs[x] = val;
    }
    const converted = convert(inputType, val);
    if (!converted.ok) {
      errors.push({
        type: 'invalid_input_type',
        message: `Failed to convert an input value to a ${pyStr(inputType)} value`,
        details: `${x}, ${pyStr(val)}, ${converted.error}`,
        extra_info: {
          input_name: x,
          input_config: info,
          received_value: val,
          exception_message: converted.error,
        },
      });
      continue;
    }
    val = converted.value;
    if (converted.changed) inputs[x] = val;
    if (customValidated.has(x)) continue;
    const asFloat = inputType === 'FLOAT';
    if (typeof extra.min === 'number' && typeof val === 'number' && val < extra.min) {
      errors.push({
        type: 'value_smaller_than_min',
        message: `Value ${pyStr(val, asFloat)} smaller than min of ${pyStr(extra.min, asFloat)}`,
        details: x,
        extra_info: { input_name: x, input_config: info, received_value: val },
      });
      continue;
    }
    if (typeof extra.max === 'number' && typeof val === 'number' && val > extra.max) {
      errors.push({
        type: 'value_bigger_than_max',
        message: `Value ${pyStr(val, asFloat)} bigger than max of ${pyStr(extra.max, asFloat)}`,
        details: x,
        extra_info: { input_name: x, input_config: info, received_value: val },
      });
      continue;
    }
    if (Array.isArray(inputType) && !inputType.includes(val)) {
      const long = inputType.length > 20;
      errors.push({
        type: 'value_not_in_list',
        message: 'Value not in list',
        details: `${x}: '${pyStr(val)}' not in ${long ? `(list of length ${inputType.length})` : pyRepr(inputType)}`,
        extra_info: { input_name: x, input_config: long ? null : info, received_value: val },
      });
    }
  }

  if (
    node.class_type === 'LoadImage' &&
    typeof inputs.image === 'string' &&
    !ctx.inputExists(inputs.image)
  ) {
    errors.push({
      type: 'custom_validation_failed',
      message: 'Custom validation failed for node',
      details: `image - Invalid image file: ${inputs.image}`,
      extra_info: { input_name: 'image' },
    });
  }
  const result: Result = errors.length > 0 || !valid ? [false, errors] : [true, []];
  validated.set(id, result);
  return result;
}

function typesMatch(received: string, input: unknown): boolean {
  if (typeof input !== 'string') return true; // combos accept links from primitive nodes
  if (received === input || received === '*' || input === '*') return true;
  const a = new Set(received.split(','));
  return input.split(',').some((t) => a.has(t));
}

type Converted = { ok: true; value: unknown; changed: boolean } | { ok: false; error: string };

/** Python's int()/float()/str()/bool() on a JSON value, with Python's error texts. */
function convert(type: unknown, val: unknown): Converted {
  if (type === 'INT') {
    if (typeof val === 'boolean') return { ok: true, value: val ? 1 : 0, changed: true };
    if (typeof val === 'number')
      return { ok: true, value: Math.trunc(val), changed: !Number.isInteger(val) };
    if (typeof val === 'string' && /^\s*[-+]?\d+(_\d+)*\s*$/.test(val)) {
      return { ok: true, value: Number.parseInt(val.replaceAll('_', ''), 10), changed: true };
    }
    if (typeof val === 'string')
      return { ok: false, error: `invalid literal for int() with base 10: ${pyRepr(val)}` };
    return {
      ok: false,
      error: `int() argument must be a string, a bytes-like object or a real number, not '${pyType(val)}'`,
    };
  }
  if (type === 'FLOAT') {
    if (typeof val === 'number') return { ok: true, value: val, changed: false };
    if (typeof val === 'boolean') return { ok: true, value: val ? 1 : 0, changed: true };
    if (typeof val === 'string' && val.trim() !== '' && Number.isFinite(Number(val))) {
      return { ok: true, value: Number(val), changed: true };
    }
    if (typeof val === 'string')
      return { ok: false, error: `could not convert string to float: ${pyRepr(val)}` };
    return {
      ok: false,
      error: `float() argument must be a string or a real number, not '${pyType(val)}'`,
    };
  }
  if (type === 'STRING') {
    if (typeof val === 'string') return { ok: true, value: val, changed: false };
    return { ok: true, value: pyStr(val), changed: true };
  }
  if (type === 'BOOLEAN') {
    if (typeof val === 'boolean') return { ok: true, value: val, changed: false };
    return { ok: true, value: !!val && !(Array.isArray(val) && val.length === 0), changed: true };
  }
  return { ok: true, value: val, changed: false };
}

function pyType(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'dict';
  return typeof v;
}
