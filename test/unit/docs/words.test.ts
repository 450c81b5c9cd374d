/**
 * The documentation speaks of the product: every relative link in a Markdown file leads to a file
 * that exists, and no doc or source file names a path on one machine, a tracker's issue number, or
 * facts from memory instead of a dated source.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const SKIP = new Set(['node_modules', 'cdk.out', 'coverage', 'dist']);

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (/\.(md|ts|tsx|mts|sh|ya?ml)$/.test(entry.name)) out.push(path);
  }
  return out;
}

const files = walk(ROOT);
const markdown = files.filter((f) => f.endsWith('.md'));

/** What no file (but this one, which holds samples) may say, with why. */
const FORBIDDEN: [RegExp, string][] = [
  [/\/work\//, 'a path on one machine'],
  [/\/root\//, 'a path on one machine'],
  [/\bissue #?\d+/i, "a tracker's issue number"],
  [/as of my knowledge/i, 'a fact without its source and date'],
  [/\.\.\/shared\/comfyui/, 'a file outside the repository'],
];

describe('words that are true', () => {
  it('finds the files it checks', () => {
    expect(markdown.map((f) => relative(ROOT, f))).toContain('README.md');
    expect(files.length).toBeGreaterThan(100);
  });

  it('every relative Markdown link leads to a file that exists', () => {
    const broken: string[] = [];
    for (const file of markdown) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        const target = m[1] as string;
        if (/^[a-z]+:/i.test(target)) continue;
        if (!existsSync(join(dirname(file), target)))
          broken.push(`${relative(ROOT, file)} -> ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('catches what it looks for', () => {
    const samples = [
      'see /work/shared/x.md',
      'in /root/.cache',
      'figures of Issue 8',
      'issue #12',
      'prices as of my knowledge (late 2025)',
      'ground truth: ../shared/comfyui-api.md',
    ];
    for (const sample of samples) {
      expect(
        FORBIDDEN.some(([re]) => re.test(sample)),
        sample,
      ).toBe(true);
    }
    expect(FORBIDDEN.some(([re]) => re.test('the issues of a 400 (details.issues)'))).toBe(false);
  });

  it('no file names a machine path, an issue number or undated facts from memory', () => {
    const found: string[] = [];
    for (const file of files.filter((f) => f !== import.meta.filename)) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        for (const [re, why] of FORBIDDEN) {
          if (re.test(line)) found.push(`${relative(ROOT, file)}:${i + 1}: ${why}: ${line.trim()}`);
        }
      });
    }
    expect(found).toEqual([]);
  });
});
