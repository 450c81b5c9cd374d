/**
 * No file written outside the task's folder, whatever a stored workflow's write inputs say (a task
 * stored before the workflow policy, or under an operator's looser policy): the real dispatcher sends
 * the workflows to the ComfyUI stand-in, which writes real files; afterwards every file in its output
 * folder lies under `output/<taskId>/` of the task that wrote it.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComfyWorkflow } from '../../../shared/domain/task.js';
import { logger } from '../../../shared/observability.js';
import { type Harness, startHarness } from './harness.js';

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));

const saving = (prefix: unknown): ComfyWorkflow => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 9 } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: prefix } },
});

describe('write confinement at dispatch', () => {
  let h: Harness;
  const dataDir = mkdtempSync(join(tmpdir(), 'confinement-'));
  beforeAll(async () => {
    logger.setLogLevel('SILENT');
    h = await startHarness({
      standIn: { dataDir, executionMs: 5 },
      env: { MAX_IN_FLIGHT: '8', MAX_AT_COMFY_PER_OWNER: '8' },
    });
  });
  afterAll(() => h?.close());

  it('keeps every output of hostile prefixes inside output/<taskId>/', async () => {
    // Prepare
    const prefixes = [
      '../../escaped',
      '/tmp/absolute',
      '..\\..\\win',
      '%date:yyyy%/../x',
      'loras/planted',
      '',
    ];
    const tasks = [];
    for (const p of prefixes) tasks.push(await h.submit({ workflow: saving(p) }));
    // Act
    await h.deliver();
    await h.drainComfy();
    // Assess
    const written = files(join(dataDir, 'output'));
    expect(written).toHaveLength(prefixes.length);
    const ids = tasks.map((t) => t.taskId);
    for (const f of written) {
      const [folder] = f.split('/');
      expect(ids, f).toContain(folder);
      expect(f.includes('..'), f).toBe(false);
    }
    expect(new Set(written.map((f) => f.split('/')[0])).size).toBe(prefixes.length);
  });
});
