/**
 * The local system on a GPU fleet for the fleet's integration tests: the runtime in this process, its
 * registry, and the task API calls and waits the tests share.
 */
import { expect } from 'vitest';
import type { StartOptions } from '../../../infra/local/start/options.js';
import type { LocalRuntime } from '../../../infra/local/start/runtime.js';
import { createAwsClients } from '../../../shared/adapters/aws/clients.js';
import { DynamoFleetRegistry } from '../../../shared/adapters/dynamodb/fleet-registry.js';
import { isTerminal, type TaskStatus } from '../../../shared/domain/task.js';
import type { FleetServer } from '../../../shared/fleet/server.js';
import { systemClock } from '../../../shared/ports/clock.js';
import { startInProcessRuntime } from '../../helpers/in-process-runtime.js';

interface TaskView {
  status: TaskStatus;
  waitingFor?: string;
  error?: { code: string; message: string };
}

export interface FleetRig {
  rt: LocalRuntime;
  registry: DynamoFleetRegistry;
  /** Submits `n` txt2img tasks with these params (and a prompt of their own); their ids. */
  submit(n: number, params: Record<string, unknown>): Promise<string[]>;
  statusOf(id: string): Promise<TaskView>;
  /** Reads the registry every 200 ms until `done` says so; every reading. */
  watch(done: (servers: FleetServer[]) => Promise<boolean>, ms: number): Promise<FleetServer[][]>;
  /** Watches the registry until every one of the tasks has ended; every reading. */
  untilEnded(ids: string[], ms: number): Promise<FleetServer[][]>;
  /** Every one of the tasks `succeeded` (the others' errors in the failure). */
  expectSucceeded(ids: string[]): Promise<void>;
  stop(): Promise<void>;
}

export const readyCount = (s: FleetServer[]): number => s.filter((x) => x.state === 'ready').length;

export async function startFleetRig(
  fleet: NonNullable<StartOptions['fleet']>,
  comfyExecutionMs: number,
): Promise<FleetRig> {
  const runtime = await startInProcessRuntime({ comfyExecutionMs, pollerRepeatMs: 200, fleet });
  const { rt } = runtime;
  const clients = createAwsClients({ region: 'us-east-1', dynamodbEndpoint: rt.dynamodbEndpoint });
  const registry = new DynamoFleetRegistry({
    doc: clients.doc,
    tableName: rt.names.tasksTable,
    clock: systemClock,
  });
  const headers = { 'x-api-key': rt.apiKey as string };
  const statusOf = async (id: string) =>
    (await (await fetch(`${rt.apiUrl}/v1/tasks/${id}`, { headers })).json()) as TaskView;
  const watch: FleetRig['watch'] = async (done, ms) => {
    const seen: FleetServer[][] = [];
    const until = Date.now() + ms;
    for (;;) {
      const servers = await registry.list();
      seen.push(servers);
      if (await done(servers)) return seen;
      if (Date.now() > until) throw new Error(`fleet condition not met in ${ms} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  return {
    rt,
    registry,
    statusOf,
    async submit(n, params) {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const res = await fetch(`${rt.apiUrl}/v1/tasks`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({
            template: 'txt2img',
            params: { prompt: `fleet ${i}`, ...params },
          }),
        });
        expect(res.status).toBe(202);
        ids.push(((await res.json()) as { taskId: string }).taskId);
      }
      return ids;
    },
    watch,
    untilEnded(ids, ms) {
      return watch(async () => {
        const views = await Promise.all(ids.map(statusOf));
        return views.every((v) => isTerminal(v.status));
      }, ms);
    },
    async expectSucceeded(ids) {
      const views = await Promise.all(ids.map(statusOf));
      const others = views.filter((v) => v.status !== 'succeeded');
      expect(others).toEqual([]);
    },
    stop: () => runtime.stop(),
  };
}
