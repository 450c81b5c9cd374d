/**
 * The jobs API of newer ComfyUI (GET /api/jobs[/{id}] from v0.6.0, POST /api/jobs/{id}/cancel after
 * v0.8.0), served only when the stand-in is started with `jobsApi: true`, so clients can be tested
 * against both generations. Shapes follow ComfyUI's jobs API (an interrupted run reads as cancelled).
 */
import type { StandInCore } from './core.js';
import type { HistoryEntry, QueueItem } from './state.js';

type Job = Record<string, unknown>;

function fromQueue(item: QueueItem, status: 'pending' | 'in_progress'): Job {
  return { id: item[1], status, priority: item[0] };
}

function fromHistory(id: string, entry: HistoryEntry, full: boolean): Job {
  const msgs = entry.status.messages;
  const find = (e: string) => msgs.find(([ev]) => ev === e)?.[1];
  const error = find('execution_error');
  const interrupted = find('execution_interrupted');
  const status =
    entry.status.status_str === 'success' ? 'completed' : interrupted ? 'cancelled' : 'failed';
  const end = msgs.at(-1)?.[1]?.timestamp;
  const outputsCount = Object.values(entry.outputs)
    .flatMap((ui) => Object.values(ui))
    .flat()
    .filter((x) => x && typeof x === 'object' && 'filename' in (x as object)).length;
  const job: Job = {
    id,
    status,
    priority: entry.prompt[0],
    execution_start_time: find('execution_start')?.timestamp,
    execution_end_time: end,
    outputs_count: outputsCount,
  };
  if (error) job.execution_error = error;
  if (full) {
    job.outputs = entry.outputs;
    job.execution_status = entry.status;
    job.workflow = { prompt: entry.prompt[2], extra_data: entry.prompt[3] };
  }
  return job;
}

/** The single-job view, or undefined (404 `{"error":"Job not found"}`). History is checked first. */
export function getJob(core: StandInCore, id: string): Job | undefined {
  const entry = core.history.get(id);
  if (entry) return fromHistory(id, entry, true);
  if (core.running?.[1] === id) return fromQueue(core.running, 'in_progress');
  const pending = core.heap.items.find((i) => i[1] === id);
  return pending ? fromQueue(pending, 'pending') : undefined;
}

export function listJobs(core: StandInCore, query: URLSearchParams): Job[] | string {
  const limit = query.get('limit');
  if (limit !== null && !(Number(limit) > 0)) return 'limit must be a positive integer';
  const offset = Number(query.get('offset') ?? 0);
  const wanted = query.get('status')?.split(',');
  const jobs: Job[] = [
    ...(core.running ? [fromQueue(core.running, 'in_progress')] : []),
    ...core.heap.items.map((i) => fromQueue(i, 'pending')),
    ...Object.entries(core.history.list()).map(([id, e]) => fromHistory(id, e, false)),
  ].filter((j) => !wanted || wanted.includes(String(j.status)));
  return jobs.slice(offset, limit === null ? undefined : offset + Number(limit));
}

/** Dequeue if pending, interrupt if running (atomically here: one thread). */
export function cancelJob(core: StandInCore, id: string): boolean {
  if (core.heap.deleteFirst(id)) return true;
  if (core.running?.[1] === id) return core.interrupt(id);
  return false;
}
