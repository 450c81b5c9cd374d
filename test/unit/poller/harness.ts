/** Wiring for the poller's unit tests: every port faked, one or more fake ComfyUI servers. */
import type { Task } from '../../../shared/domain/task.js';
import { createLimiter } from '../../../shared/limiter.js';
import { logger } from '../../../shared/observability.js';
import type { PollSettings } from '../../../shared/poller/decide.js';
import type { PollTasksDeps } from '../../../shared/use-cases/poll-tasks.js';
import { FakeComfyClient, type FakeComfyOptions } from '../../fakes/fake-comfy-client.js';
import { FakeTaskQueue } from '../../fakes/fake-task-queue.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { InMemoryArtifactStore } from '../../fakes/in-memory-artifact-store.js';
import { InMemoryTaskRepository } from '../../fakes/in-memory-task-repository.js';
import { aTask } from '../../fakes/tasks.js';

logger.setLogLevel('SILENT');

const SETTINGS: PollSettings = {
  maxRequeues: 2,
  runTimeoutMs: 600_000,
  queueTimeoutMs: 900_000,
  lostAfterPolls: 2,
  lostGraceMs: 0,
  copy: { maxAttempts: 3, maxMs: 600_000, retryBaseMs: 1000 },
  maxOutputs: 1000,
};

export function harness(settings: Partial<PollSettings> = {}) {
  const clock = new FixedClock('2026-01-01T00:00:10.000Z');
  const tasks = new InMemoryTaskRepository({ clock });
  const queue = new FakeTaskQueue(clock);
  const artifacts = new InMemoryArtifactStore(clock);
  const comfy = new FakeComfyClient('http://comfy-a');
  const servers = new Map<string, FakeComfyClient>([[comfy.baseUrl, comfy]]);
  const deps: PollTasksDeps = {
    tasks,
    queue,
    artifacts,
    clock,
    limiter: createLimiter(2),
    settings: { ...SETTINGS, ...settings },
    comfyFor: (url) => {
      const c = servers.get(url);
      if (!c) throw new Error(`no fake server ${url}`);
      return c;
    },
  };
  /** A task ComfyUI has been given (dispatched), stored in the repository. */
  const dispatched = (overrides: Partial<Task> = {}): Task => {
    const t = aTask({
      status: 'dispatched',
      comfyServer: comfy.baseUrl,
      dispatchedAt: '2026-01-01T00:00:00.500Z',
      ...overrides,
    });
    tasks.seed(t);
    return t;
  };
  const addServer = (url: string, options: FakeComfyOptions = {}) => {
    const c = new FakeComfyClient(url, options);
    servers.set(url, c);
    return c;
  };
  return { clock, tasks, queue, artifacts, comfy, deps, dispatched, addServer };
}
