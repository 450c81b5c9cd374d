/**
 * Every dependency of the API handlers, as in-memory fakes on one fixed clock, plus a silent logger.
 * Handler tests build the handler under test from this (`createHandler(deps)`).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { ApiObservability } from '../../shared/http/api-handler.js';
import { createTemplateCatalog } from '../../shared/templates/catalog.js';
import { DEFAULT_WORKFLOW_POLICY } from '../../shared/workflow/policy.js';
import { FakeTaskQueue } from '../fakes/fake-task-queue.js';
import { FixedClock } from '../fakes/fixed-clock.js';
import { InMemoryApiKeyStore } from '../fakes/in-memory-api-key-store.js';
import { InMemoryArtifactStore } from '../fakes/in-memory-artifact-store.js';
import { InMemoryNodeCatalogStore } from '../fakes/in-memory-node-catalog-store.js';
import { InMemoryTaskRepository } from '../fakes/in-memory-task-repository.js';
import { InMemoryUploadStore } from '../fakes/in-memory-upload-store.js';
import { SequenceIds } from '../fakes/sequence-ids.js';

export const silentObservability = (): ApiObservability => ({
  logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
});

export function apiTestDeps(
  limits: { maxActiveTasksPerOwner?: number; uploadMaxBytes?: number } = {},
) {
  const clock = new FixedClock();
  const catalogStore = new InMemoryNodeCatalogStore();
  return {
    clock,
    ids: new SequenceIds(),
    tasks: new InMemoryTaskRepository({ clock }),
    queue: new FakeTaskQueue(clock),
    uploads: new InMemoryUploadStore(),
    artifacts: new InMemoryArtifactStore(clock),
    keys: new InMemoryApiKeyStore(),
    templates: createTemplateCatalog(),
    obs: silentObservability(),
    maxActiveTasksPerOwner: limits.maxActiveTasksPerOwner ?? 5,
    workflowPolicy: DEFAULT_WORKFLOW_POLICY,
    uploadMaxBytes: limits.uploadMaxBytes ?? 1024 * 1024,
    uploadUrlTtlSeconds: 900,
    outputUrlTtlSeconds: 3600,
    /** Empty until a test publishes one (`catalogStore.catalog = ...`); read on every request. */
    catalogStore,
    catalog: () => catalogStore.read(),
  };
}
