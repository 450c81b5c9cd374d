/**
 * A form generated from a template's params JSON Schema (GET /v1/templates): a select for enums, a
 * text area for long strings, number inputs with the schema's bounds, a checkbox for booleans, and a
 * file picker for upload params (`format: "upload"`). `read()` returns the params to submit and the
 * files still to upload.
 */

interface PropertySchema {
  type?: string;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  multipleOf?: number;
  maxLength?: number;
  format?: string;
}

export interface ParamsSchema {
  properties?: Record<string, PropertySchema>;
  required?: string[];
}

interface FormValues {
  params: Record<string, unknown>;
  /** Upload params with the file chosen for each. */
  files: Record<string, File>;
}

export interface ParamsForm {
  read(): FormValues;
}

function labelFor(name: string, schema: PropertySchema, required: boolean): HTMLLabelElement {
  const label = document.createElement('label');
  label.append(`${name}${required ? ' *' : ''}`);
  if (schema.description) {
    const small = document.createElement('small');
    small.textContent = schema.description;
    label.append(small);
  }
  return label;
}

function inputFor(name: string, schema: PropertySchema): HTMLElement {
  const id = `param-${name}`;
  if (schema.format === 'upload') {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = 'image/png,image/jpeg,image/webp,image/gif';
    input.id = id;
    return input;
  }
  if (schema.enum) {
    const select = document.createElement('select');
    select.id = id;
    for (const value of schema.enum) {
      const option = document.createElement('option');
      option.value = String(value);
      option.textContent = String(value);
      option.selected = value === schema.default;
      select.append(option);
    }
    return select;
  }
  if (schema.type === 'boolean') {
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.id = id;
    box.checked = schema.default === true;
    return box;
  }
  if (schema.type === 'integer' || schema.type === 'number') {
    const input = document.createElement('input');
    input.type = 'number';
    input.id = id;
    if (schema.minimum !== undefined) input.min = String(schema.minimum);
    if (schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER) {
      input.max = String(schema.maximum);
    }
    input.step = schema.multipleOf
      ? String(schema.multipleOf)
      : schema.type === 'integer'
        ? '1'
        : 'any';
    if (typeof schema.default === 'number') input.value = String(schema.default);
    else input.placeholder = 'random';
    return input;
  }
  const long = (schema.maxLength ?? 0) > 200;
  const input = document.createElement(long ? 'textarea' : 'input');
  input.id = id;
  if (input instanceof HTMLTextAreaElement) input.rows = 2;
  if (typeof schema.default === 'string') input.value = schema.default;
  return input;
}

export function renderParamsForm(form: HTMLFormElement, schema: ParamsSchema): ParamsForm {
  form.replaceChildren();
  const required = new Set(schema.required ?? []);
  const fields: { name: string; schema: PropertySchema; el: HTMLElement }[] = [];
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const label = labelFor(name, prop, required.has(name));
    const el = inputFor(name, prop);
    label.append(el);
    form.append(label);
    fields.push({ name, schema: prop, el });
  }
  return {
    read() {
      const params: Record<string, unknown> = {};
      const files: Record<string, File> = {};
      for (const { name, schema: prop, el } of fields) {
        if (el instanceof HTMLInputElement && el.type === 'file') {
          const file = el.files?.[0];
          if (file) files[name] = file;
        } else if (el instanceof HTMLInputElement && el.type === 'checkbox') {
          params[name] = el.checked;
        } else if (el instanceof HTMLInputElement && el.type === 'number') {
          if (el.value !== '') params[name] = Number(el.value);
        } else if (el instanceof HTMLSelectElement) {
          const match = prop.enum?.find((v) => String(v) === el.value);
          params[name] = match ?? el.value;
        } else if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) {
          if (el.value !== '' || required.has(name)) params[name] = el.value;
        }
      }
      return { params, files };
    },
  };
}
