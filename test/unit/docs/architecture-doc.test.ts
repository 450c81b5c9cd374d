/**
 * docs/architecture.md stays true: every source file it names exists, and each traced behaviour is
 * followed in at most five files (one numbered step per file).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');

/** The numbered steps of each list under a "## Trace" heading, by heading. */
function traces(): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  for (const section of doc.split(/^## /m).filter((s) => s.startsWith('Trace'))) {
    const heading = section.split('\n')[0] as string;
    const lists: string[][] = [];
    let current: string[] | undefined;
    for (const line of section.split('\n')) {
      const step = /^\d+\. `([^`]+)`/.exec(line);
      if (step) {
        if (line.startsWith('1. ')) {
          current = [];
          lists.push(current);
        }
        current?.push(step[1] as string);
      }
    }
    out.set(heading, lists);
  }
  return out;
}

describe('docs/architecture.md', () => {
  it('names only files and folders that exist', () => {
    const named = [...doc.matchAll(/`((?:functions|shared|infra|test|bench)\/[\w./<>-]*)`/g)]
      .map((m) => m[1] as string)
      .filter((p) => !p.includes('<'));
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((p) => !existsSync(join(ROOT, p)))).toEqual([]);
  });

  it('traces cancel and a rejected workflow, each path in at most five distinct files', () => {
    const found = traces();
    expect([...found.keys()]).toEqual([
      'Trace: how does cancel reach ComfyUI',
      'Trace: what happens when ComfyUI rejects a workflow',
    ]);
    for (const [heading, lists] of found) {
      expect(lists.length, heading).toBeGreaterThan(0);
      for (const steps of lists) {
        expect(steps.length, heading).toBeLessThanOrEqual(5);
        expect(new Set(steps).size, heading).toBe(steps.length);
        for (const file of steps) expect(existsSync(join(ROOT, file)), file).toBe(true);
      }
    }
  });
});
