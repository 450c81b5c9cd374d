/**
 * Nothing of a tenant left on the shared disk: once a task has ended (its outputs in S3, or no longer
 * wanted), its files at ComfyUI are removed through the project's file-cleanup extension: every file
 * its run reported (outputs, temp previews), its output folder (`output/<taskId>/`, where the
 * dispatcher points every output node) and its staged inputs (`input/<taskId>/`). Best effort: a
 * failure is logged, and the instance's cleanup timer removes what is left (after 24 h with the
 * extension, after minutes without it).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ComfyClient, ComfyRun } from '../ports/comfy-client.js';

/** A task logger (Powertools `Logger` or its child). */
export type RemoveLog = Pick<Logger, 'info' | 'warn'>;

export async function removeTaskFiles(
  comfy: ComfyClient,
  taskId: string,
  run: Pick<ComfyRun, 'outputs'> | undefined,
  log: RemoveLog,
): Promise<void> {
  const files = (run?.outputs ?? []).map(({ filename, subfolder, type }) => ({
    filename,
    subfolder,
    type,
  }));
  try {
    const removed = await comfy.deleteFiles({
      files,
      folders: [
        { type: 'output', subfolder: taskId },
        { type: 'input', subfolder: taskId },
      ],
    });
    if (removed) log.info('task files removed at ComfyUI', removed);
    else log.info('ComfyUI has no file-cleanup extension; its cleanup timer removes the files');
  } catch (err) {
    log.warn('task files not removed at ComfyUI', { error: String(err) });
  }
}
