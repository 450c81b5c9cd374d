/** The shared port contracts, run against the in-memory fakes (the same suites run on the emulators). */
import { describe } from 'vitest';
import { apiKeyStoreContract } from '../../contract/api-key-store.contract.js';
import { artifactStoreContract } from '../../contract/artifact-store.contract.js';
import { comfyClientContract } from '../../contract/comfy-client.contract.js';
import { pollerLeaseContract } from '../../contract/poller-lease.contract.js';
import { taskQueueContract } from '../../contract/task-queue.contract.js';
import { taskRepositoryContract } from '../../contract/task-repository.contract.js';
import { uploadStoreContract } from '../../contract/upload-store.contract.js';
import { FakeComfyClient } from '../../fakes/fake-comfy-client.js';
import { FakeTaskQueue } from '../../fakes/fake-task-queue.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { InMemoryApiKeyStore } from '../../fakes/in-memory-api-key-store.js';
import { InMemoryArtifactStore } from '../../fakes/in-memory-artifact-store.js';
import { InMemoryPollerLease } from '../../fakes/in-memory-poller-lease.js';
import { InMemoryTaskRepository } from '../../fakes/in-memory-task-repository.js';
import { InMemoryUploadStore } from '../../fakes/in-memory-upload-store.js';

describe('InMemoryTaskRepository meets the TaskRepository contract', () => {
  taskRepositoryContract(async () => {
    const clock = new FixedClock();
    return { repo: new InMemoryTaskRepository({ clock }), clock };
  });
});

describe('FakeTaskQueue meets the TaskQueue contract', () => {
  taskQueueContract(async () => {
    const queue = new FakeTaskQueue(new FixedClock());
    return { queue, receiveVisible: async () => queue.receive().map((m) => m.message) };
  });
});

describe('InMemoryArtifactStore meets the ArtifactStore contract', () => {
  artifactStoreContract(async () => {
    const clock = new FixedClock();
    return { store: new InMemoryArtifactStore(clock), clock };
  });
});

describe('InMemoryApiKeyStore meets the ApiKeyStore contract', () => {
  apiKeyStoreContract(async () => new InMemoryApiKeyStore());
});

describe('FakeComfyClient meets the ComfyClient contract', () => {
  // The contract's slow workflow is three ImageBlur nodes, cancelled while it runs: slow enough that
  // a loaded machine never sees it finish first (the test does not wait for it).
  const client = new FakeComfyClient('http://fake-comfy', {
    autoRun: true,
    nodeTimeMs: { ImageBlur: 5000 },
  });
  comfyClientContract(() => ({ client }));
});

describe('InMemoryUploadStore meets the UploadStore contract', () => {
  uploadStoreContract(async () => new InMemoryUploadStore());
});

describe('InMemoryPollerLease meets the PollerLease contract', () => {
  pollerLeaseContract(async () => {
    const clock = new FixedClock();
    return { lease: new InMemoryPollerLease(clock), clock };
  });
});
