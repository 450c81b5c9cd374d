/**
 * Copy a finished run's output files from ComfyUI's `/view` into the artifact store, streamed (the
 * store uploads multipart; nothing here holds a whole file). Keys are deterministic, so a copy that
 * failed half-way is simply done again on the next poll and overwrites, never duplicates; an object
 * already stored with the size ComfyUI announces is not copied again. When the task asks for an output
 * format, still images are re-encoded on the way (see domain/output-format.ts) and stored under the
 * new extension with both sizes recorded.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ComfyUnavailableError, DomainError } from '../domain/errors.js';
import {
  CONVERTIBLE_CONTENT_TYPES,
  FORMAT_CONTENT_TYPES,
  FORMAT_EXTENSIONS,
  type OutputFormat,
} from '../domain/output-format.js';
import type { TaskOutput } from '../domain/task.js';
import type { Limiter } from '../limiter.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import type { ComfyClient, ComfyRun } from '../ports/comfy-client.js';
import type { ImageConverter } from '../ports/image-converter.js';
import type { TaskSummary } from '../ports/task-repository.js';
import { contentTypeFor } from './content-type.js';
import { OutputCopyError, OutputCopyIncompleteError, OutputMissingError } from './failures.js';
import { type PlannedOutput, planOutputKeys, sanitizeNodeId } from './output-keys.js';

export interface CopyDeps {
  comfy: ComfyClient;
  artifacts: ArtifactStore;
  /** Converts still images when the task asks for an output format. */
  converter?: ImageConverter;
  /** Shared by every copy of a poll: bounds the upload buffers held at once. */
  limiter: Limiter;
}

/** Counts the bytes that pass, to verify a copy against ComfyUI's Content-Length. */
class ByteCounter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

const isNotFound = (err: unknown) =>
  err instanceof DomainError &&
  (err.code === 'COMFYUI_NOT_FOUND' || (err as { status?: number }).status === 404);

/** The format this output is converted to, or undefined to store it as ComfyUI wrote it. */
function conversionFor(task: TaskSummary, contentType: string): OutputFormat | undefined {
  const target = task.outputFormat;
  if (!target || !CONVERTIBLE_CONTENT_TYPES.has(contentType)) return undefined;
  return FORMAT_CONTENT_TYPES[target.format] === contentType ? undefined : target;
}

const withExtension = (name: string, ext: string) => `${name.replace(/\.[^./]*$/, '')}.${ext}`;

async function copyOne(
  deps: CopyDeps,
  task: TaskSummary,
  { file, key }: PlannedOutput,
): Promise<TaskOutput> {
  const view = await deps.comfy.view(file).catch((err: unknown) => {
    throw isNotFound(err)
      ? new OutputMissingError(file.nodeId, file.filename, { cause: err })
      : err;
  });
  const contentType = contentTypeFor(file.filename, view.contentType);
  const target = deps.converter ? conversionFor(task, contentType) : undefined;
  try {
    if (target && deps.converter) {
      return await convertOne(deps.converter, deps.artifacts, task, { file, key }, view, {
        contentType,
        target,
      });
    }
    const record = (size: number): TaskOutput => ({
      nodeId: file.nodeId,
      filename: file.filename,
      subfolder: file.subfolder,
      type: file.type,
      s3Key: key,
      contentType,
      size,
    });
    // Without s3:ListBucket, S3 answers 403 rather than 404 for a missing key: any failure here
    // just means "copy it".
    const existing = await deps.artifacts.head(key).catch(() => undefined);
    if (existing && view.size !== undefined && existing.size === view.size)
      return record(existing.size);

    const counter = new ByteCounter();
    const [, stored] = await Promise.all([
      pipeline(view.body, counter),
      deps.artifacts.putStream({
        key,
        body: counter,
        contentType,
        ...(view.size !== undefined ? { size: view.size } : {}),
        metadata: { 'task-id': task.taskId, 'node-id': sanitizeNodeId(file.nodeId) },
      }),
    ]);
    if (view.size !== undefined && counter.bytes !== view.size) {
      throw new OutputCopyIncompleteError(key, view.size, counter.bytes);
    }
    return record(counter.bytes || stored.size);
  } finally {
    if (!view.body.destroyed) view.body.destroy();
  }
}

/**
 * Streams the file through the converter into the store under the key with the new extension, and
 * records both sizes. Always re-converted on a retry (the stored size cannot be known beforehand).
 */
async function convertOne(
  converter: ImageConverter,
  artifacts: ArtifactStore,
  task: TaskSummary,
  { file, key }: PlannedOutput,
  view: Awaited<ReturnType<ComfyClient['view']>>,
  { contentType, target }: { contentType: string; target: OutputFormat },
): Promise<TaskOutput> {
  const ext = FORMAT_EXTENSIONS[target.format];
  const storedType = FORMAT_CONTENT_TYPES[target.format];
  const convertedKey = withExtension(key, ext);
  const source = new ByteCounter();
  const encoded = new ByteCounter();
  await Promise.all([
    pipeline(view.body, source, converter.convert(target), encoded),
    artifacts.putStream({
      key: convertedKey,
      body: encoded,
      contentType: storedType,
      metadata: {
        'task-id': task.taskId,
        'node-id': sanitizeNodeId(file.nodeId),
        ...(view.size !== undefined ? { 'original-size': String(view.size) } : {}),
      },
    }),
  ]);
  if (view.size !== undefined && source.bytes !== view.size) {
    throw new OutputCopyIncompleteError(key, view.size, source.bytes);
  }
  return {
    nodeId: file.nodeId,
    filename: withExtension(file.filename, ext),
    subfolder: file.subfolder,
    type: file.type,
    s3Key: convertedKey,
    contentType: storedType,
    size: encoded.bytes,
    original: { filename: file.filename, contentType, size: source.bytes },
  };
}

/**
 * Copy every output file of `run` (one at a time per task, through the shared limiter). A file that
 * cannot be copied throws OutputMissingError (ComfyUI no longer has it), ComfyUnavailableError
 * (ComfyUI broke off), or OutputCopyError naming it (storing failed).
 */
export async function copyOutputs(
  deps: CopyDeps,
  task: TaskSummary,
  run: ComfyRun,
): Promise<TaskOutput[]> {
  const outputs: TaskOutput[] = [];
  for (const planned of planOutputKeys(task.owner, task.taskId, run.outputs)) {
    try {
      outputs.push(await deps.limiter.run(() => copyOne(deps, task, planned)));
    } catch (err) {
      // ComfyUI's side failing is not a copy failure: the poller's unreachable rules bound it.
      if (err instanceof OutputMissingError || err instanceof ComfyUnavailableError) throw err;
      const { nodeId, filename } = planned.file;
      throw new OutputCopyError({ nodeId, filename, s3Key: planned.key }, err);
    }
  }
  return outputs;
}
