/**
 * The templates a deployment offers: the built-in ones (shipped in ./builtin) and any JSON files in the
 * operator's TEMPLATES_DIR, which may also replace a built-in by using its name.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TemplateNotFoundError } from '../domain/errors.js';
import img2img from './builtin/img2img.json' with { type: 'json' };
import txt2img from './builtin/txt2img.json' with { type: 'json' };
import { compileTemplate, type Template, type TemplateSummary } from './template.js';
import { TemplateFile } from './template-file.js';

export interface TemplateCatalog {
  /** TemplateNotFoundError for an unknown name. */
  get(name: string): Template;
  list(): TemplateSummary[];
}

const BUILTIN_TEMPLATE_FILES: readonly unknown[] = [txt2img, img2img];

/** Parse and compile one template file's content; throws an Error naming `source` if it is bad. */
function parseTemplateFile(content: unknown, source: string): Template {
  const parsed = TemplateFile.safeParse(content);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`Template ${source} is not valid: ${problems.join('; ')}`);
  }
  return compileTemplate(parsed.data, source);
}

/** The `*.json` files of a folder, sorted by name, each compiled. */
export function readTemplateDir(dir: string): Template[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  return files.map((f) => {
    const path = join(dir, f);
    let content: unknown;
    try {
      content = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new Error(`Template ${path} is not readable JSON: ${(err as Error).message}`);
    }
    return parseTemplateFile(content, path);
  });
}

/** Built-ins first, then `extra` (later ones replace earlier ones of the same name). */
export function createTemplateCatalog(extra: readonly Template[] = []): TemplateCatalog {
  const byName = new Map<string, Template>();
  BUILTIN_TEMPLATE_FILES.forEach((file, i) => {
    const t = parseTemplateFile(file, `builtin #${i}`);
    byName.set(t.name, t);
  });
  for (const t of extra) byName.set(t.name, t);
  const summaries = [...byName.values()].map((t) => t.summary);
  return {
    get(name) {
      const t = byName.get(name);
      if (!t) throw new TemplateNotFoundError(name);
      return t;
    },
    list: () => summaries,
  };
}

/** The catalog for a deployment: built-ins plus TEMPLATES_DIR when configured. */
export const loadTemplateCatalog = (templatesDir?: string): TemplateCatalog =>
  createTemplateCatalog(templatesDir ? readTemplateDir(templatesDir) : []);
