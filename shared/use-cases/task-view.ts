/**
 * What a caller sees of a task (GET /v1/tasks/{id} and each list item): its status and times, why it
 * failed, and its outputs as presigned S3 GET links valid for `outputUrlTtlSeconds`. Its type is the
 * one the API documents (`TaskView` in http/schemas.ts).
 */

import { tenantSafeError } from '../domain/tenant-safe-error.js';
import type { TaskView } from '../http/schemas.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import type { TaskSummary } from '../ports/task-repository.js';

export interface TaskViewDeps {
  artifacts: ArtifactStore;
  outputUrlTtlSeconds: number;
}

export async function toTaskView(
  deps: TaskViewDeps,
  task: TaskSummary & { waitingForGpuSince?: string },
): Promise<TaskView> {
  const outputs = await Promise.all(
    task.outputs.map(async (o) => {
      const link = await deps.artifacts.presignGet(o.s3Key, deps.outputUrlTtlSeconds, o.filename);
      return {
        nodeId: o.nodeId,
        filename: o.filename,
        contentType: o.contentType,
        size: o.size,
        ...(o.original
          ? { originalSize: o.original.size, originalContentType: o.original.contentType }
          : {}),
        url: link.url,
        expiresAt: link.expiresAt,
      };
    }),
  );
  const view: TaskView = {
    taskId: task.taskId,
    status: task.status,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    outputs,
    version: task.version + (task.progressSeq ?? 0),
  };
  if (task.startedAt) view.startedAt = task.startedAt;
  if (task.finishedAt) view.finishedAt = task.finishedAt;
  if (task.status === 'dispatched' && task.queuePosition !== undefined) {
    view.queuePosition = task.queuePosition;
  }
  if (task.status === 'queued' && task.waitingForGpuSince) {
    view.waitingFor = 'gpu';
    view.waitingSince = task.waitingForGpuSince;
  }
  if (task.cancelRequested && task.status !== 'cancelled') view.cancelRequested = true;
  if (task.template) view.template = task.template;
  if (task.error) view.error = errorView(task.error);
  if (task.metadata) view.metadata = task.metadata;
  if (task.outputFormat) view.output = task.outputFormat;
  if (task.status === 'running' && task.progress) view.progress = task.progress;
  if (task.webhook) {
    view.webhook = {
      url: task.webhook.url,
      events: task.webhook.events,
      deliveries: Object.values(task.deliveries ?? {}).sort((a, b) =>
        (a.lastAttemptAt ?? '') < (b.lastAttemptAt ?? '') ? -1 : 1,
      ),
    };
  }
  return view;
}

/** The owner sees the error without host paths or server file lists (tenant-safe-error.ts). */
function errorView(error: NonNullable<TaskSummary['error']>): NonNullable<TaskView['error']> {
  const e = tenantSafeError(error);
  const out: NonNullable<TaskView['error']> = { code: e.code, message: e.message };
  if (e.nodeId) out.nodeId = e.nodeId;
  if (e.nodeType) out.nodeType = e.nodeType;
  if (e.details !== undefined) out.details = e.details;
  return out;
}
