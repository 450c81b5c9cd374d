import { randomUUID } from 'node:crypto';
import type { ComfyWorkflow, Task } from '../../shared/domain/task.js';

/** A small valid API-format workflow. */
export const tinyWorkflow = (): ComfyWorkflow => ({
  '1': { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'test' } },
});

/** A queued task with sensible defaults; override any field. */
export function aTask(overrides: Partial<Task> = {}): Task {
  const createdAt = overrides.createdAt ?? '2026-01-01T00:00:00.000Z';
  return {
    taskId: randomUUID(),
    owner: 'alice',
    status: 'queued',
    createdAt,
    updatedAt: createdAt,
    workflow: tinyWorkflow(),
    requeues: 0,
    missingPolls: 0,
    outputs: [],
    version: 1,
    ...overrides,
  };
}
