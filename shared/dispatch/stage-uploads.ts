/**
 * Input images: each `upload:<uploadId>` the workflow names is streamed from object storage
 * (`uploads/<ownerSegment>/<uploadId>`, written by the caller through a presigned PUT) to ComfyUI's
 * `/upload/image` on the server that will run the task, never buffered whole. ComfyUI may rename the
 * file (same name, different bytes), so the workflow refers to the name it returned.
 */

import { ObjectNotFoundError, UploadNotFoundError } from '../domain/errors.js';
import { ownerSegment } from '../domain/owner.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import type { ComfyClient } from '../ports/comfy-client.js';
import { keys } from '../resources.js';

const EXTENSIONS: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/bmp': 'bmp',
  'image/tiff': 'tiff',
};

/** The name the file gets at ComfyUI: the upload id (unique) with an extension from its type. */
const comfyUploadName = (uploadId: string, contentType: string) =>
  `${uploadId}.${EXTENSIONS[contentType.split(';')[0]?.trim().toLowerCase() ?? ''] ?? 'png'}`;

/**
 * Stage every upload on `comfy`, in the task's own input subfolder (`input/<taskId>/`, removed with
 * the task's other files once it ends); returns uploadId -> the reference to put in the workflow
 * (`<subfolder>/<name>`). A missing object throws UploadNotFoundError.
 */
export async function stageUploads(
  deps: { artifacts: Pick<ArtifactStore, 'getStream'>; comfy: ComfyClient },
  task: { owner: string; taskId: string },
  uploadIds: readonly string[],
): Promise<Map<string, string>> {
  const { owner, taskId } = task;
  const names = new Map<string, string>();
  for (const uploadId of uploadIds) {
    let object: Awaited<ReturnType<ArtifactStore['getStream']>>;
    try {
      object = await deps.artifacts.getStream(keys.upload(ownerSegment(owner), uploadId));
    } catch (err) {
      if (err instanceof ObjectNotFoundError) throw new UploadNotFoundError(uploadId);
      throw err;
    }
    try {
      const staged = await deps.comfy.uploadImage({
        filename: comfyUploadName(uploadId, object.contentType),
        body: object.body,
        contentType: object.contentType,
        size: object.size,
        subfolder: taskId,
      });
      names.set(uploadId, staged.subfolder ? `${staged.subfolder}/${staged.name}` : staged.name);
    } finally {
      object.body.destroy();
    }
  }
  return names;
}
