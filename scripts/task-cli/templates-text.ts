/**
 * `npm run task -- templates` as text: each template's name and description, then one line per
 * parameter with its type, bounds, default (or "required") and description. `--json` prints the
 * API's full JSON Schema instead.
 */

interface PropertySchema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  multipleOf?: number;
  pattern?: string;
}
interface TemplateListItem {
  name: string;
  description?: string;
  params?: { properties?: Record<string, PropertySchema>; required?: string[] };
}

/** Enums longer than this show their first values and a count. */
const ENUM_SHOWN = 6;

function typeText(p: PropertySchema): string {
  if (p.enum) {
    const values = p.enum.map((v) => String(v));
    return values.length > ENUM_SHOWN
      ? `one of ${values.slice(0, ENUM_SHOWN).join(', ')}, ... (${values.length} values; --json lists all)`
      : `one of ${values.join(', ')}`;
  }
  let text = p.type ?? 'any';
  if (p.minimum !== undefined || p.maximum !== undefined)
    text += ` ${p.minimum ?? ''}..${p.maximum ?? ''}`;
  if (p.multipleOf !== undefined) text += ` (multiple of ${p.multipleOf})`;
  if (p.maxLength !== undefined) text += `, up to ${p.maxLength} chars`;
  return text;
}

export function describeTemplates(body: unknown): string {
  const items = ((body as { items?: TemplateListItem[] } | undefined)?.items ?? []).filter(
    (t) => typeof t?.name === 'string',
  );
  if (!items.length) return 'no templates';
  const blocks = items.map((t) => {
    const props = Object.entries(t.params?.properties ?? {});
    const required = new Set(t.params?.required ?? []);
    const width = Math.max(0, ...props.map(([name]) => name.length));
    const lines = [`${t.name}${t.description ? `: ${t.description}` : ''}`];
    for (const [name, p] of props) {
      const when = required.has(name)
        ? 'required'
        : 'default' in p
          ? `default ${JSON.stringify(p.default)}`
          : 'optional';
      lines.push(
        `  ${name.padEnd(width)}  ${typeText(p)}; ${when}${p.description ? `. ${p.description}` : ''}`,
      );
    }
    return lines.join('\n');
  });
  return `${blocks.join('\n\n')}\n\nSubmit one: npm run task -- submit --template NAME --param key=value ...`;
}
