/**
 * `npm run client:types`: writes the TypeScript client's API types
 * (clients/typescript/src/generated/api.ts) from docs/openapi.json. A unit test runs
 * `renderClientTypes` and fails when the committed file differs, so the types cannot drift from the
 * document.
 *
 * A small generator for the JSON Schema subset the document uses (objects, arrays, enums, consts,
 * unions, $refs, primitives). openapi-typescript would be the usual choice, but it builds its output
 * with the TypeScript compiler API, which the TypeScript 7 this repository pins does not have.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Schema = Record<string, unknown>;

export const OPENAPI_PATH = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));
export const CLIENT_TYPES_PATH = fileURLToPath(
  new URL('../clients/typescript/src/generated/api.ts', import.meta.url),
);

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const key = (name: string) => (IDENT.test(name) ? name : JSON.stringify(name));
const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function doc(description: unknown, indent: string): string {
  if (typeof description !== 'string' || description === '') return '';
  const text = description.replace(/\*\//g, '*\\/');
  const lines = text.split('\n');
  if (lines.length === 1) return `${indent}/** ${text} */\n`;
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}`.trimEnd()).join('\n')}\n${indent} */\n`;
}

function literal(v: unknown): string {
  return typeof v === 'string' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : String(v);
}

/** The TypeScript type of a schema, written at the given indentation. */
function typeOf(schema: unknown, indent: string): string {
  if (schema === true || schema === undefined) return 'unknown';
  if (schema === false) return 'never';
  const s = schema as Schema;
  if (typeof s.$ref === 'string') return s.$ref.split('/').pop() as string;
  if (Array.isArray(s.enum)) return s.enum.map(literal).join(' | ');
  if ('const' in s) return literal(s.const);
  const union = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(union)) return union.map((u) => typeOf(u, indent)).join(' | ');
  if (Array.isArray(s.type)) {
    return s.type.map((t) => typeOf({ ...s, type: t }, indent)).join(' | ');
  }
  switch (s.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array': {
      const item = typeOf(s.items, indent);
      return /[ |&]/.test(item) ? `Array<${item}>` : `${item}[]`;
    }
    case 'object':
      return objectType(s, indent);
    default:
      return 'unknown';
  }
}

function objectType(s: Schema, indent: string): string {
  const props = (s.properties ?? {}) as Record<string, Schema>;
  const required = new Set((s.required as string[] | undefined) ?? []);
  const extra = s.additionalProperties;
  const names = Object.keys(props);
  if (names.length === 0) {
    if (extra === false) return 'Record<string, never>';
    return `Record<string, ${typeOf(extra, indent)}>`;
  }
  const inner = `${indent}  `;
  let out = '{\n';
  for (const name of names) {
    const p = props[name] as Schema;
    out += doc(p.description, inner);
    out += `${inner}${key(name)}${required.has(name) ? '' : '?'}: ${typeOf(p, inner)};\n`;
  }
  if (extra !== undefined && extra !== false) {
    out += `${inner}[key: string]: unknown;\n`;
  }
  return `${out}${indent}}`;
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Schema;
}

/** The file's text for an OpenAPI document. */
export function renderClientTypes(openapi: Schema): string {
  const components = (openapi.components as Schema | undefined) ?? {};
  const schemas = (components.schemas ?? {}) as Record<string, Schema>;
  let out =
    '// Generated from docs/openapi.json by `npm run client:types`; do not edit.\n' +
    '// A unit test fails when this file and the document differ.\n';
  for (const [name, schema] of Object.entries(schemas)) {
    out += `\n${doc(schema.description, '')}`;
    const t = typeOf(schema, '');
    out += t.startsWith('{') ? `export interface ${name} ${t}\n` : `export type ${name} = ${t};\n`;
  }
  const ops: string[] = [];
  const paths = (openapi.paths ?? {}) as Record<string, Record<string, Schema>>;
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const id = op.operationId as string | undefined;
      if (!id) continue;
      ops.push(`  ${key(id)}: { method: '${method.toUpperCase()}', path: '${path}' },`);
      const query = ((op.parameters ?? []) as Parameter[]).filter((p) => p.in === 'query');
      if (query.length === 0) continue;
      out += `\n/** Query parameters of ${method.toUpperCase()} ${path}. */\nexport interface ${pascal(id)}Query {\n`;
      for (const p of query) {
        out += doc(p.description ?? p.schema?.description, '  ');
        out += `  ${key(p.name)}${p.required ? '' : '?'}: ${typeOf(p.schema, '  ')};\n`;
      }
      out += '}\n';
    }
  }
  out += `\n/** Every operation of the API by its operationId. */\nexport const OPERATIONS = {\n${ops.join('\n')}\n} as const;\n`;
  out += '\nexport type OperationId = keyof typeof OPERATIONS;\n';
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const openapi = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')) as Schema;
  writeFileSync(CLIENT_TYPES_PATH, renderClientTypes(openapi));
  console.log(`wrote ${CLIENT_TYPES_PATH}`);
}
