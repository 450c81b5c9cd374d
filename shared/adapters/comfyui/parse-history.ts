/**
 * History entries -> ComfyRun. The outcome comes from `status.messages` (execution_error,
 * execution_interrupted, execution_success), falling back to `status_str` only when no terminal
 * message is present (older servers and cached runs write fewer messages). Outputs are every list item, under any key, that has a
 * `filename` (images, gifs, videos, audio, 3d, ...); flags such as `animated` and `text` are skipped.
 */
import { ComfyProtocolError } from '../../domain/errors.js';
import type { ComfyOutputFile, ComfyRun, RunOutcome } from '../../ports/comfy-client.js';
import { HistoryEntry, HistoryResponse } from './schemas.js';

type Messages = [string, Record<string, unknown>][];

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

/** Every output file of a run's `outputs` object, in node-id then key then list order. */
function collectOutputFiles(outputs: Record<string, Record<string, unknown>>): ComfyOutputFile[] {
  const files: ComfyOutputFile[] = [];
  for (const [nodeId, ui] of Object.entries(outputs)) {
    if (ui === null || typeof ui !== 'object') continue;
    for (const [kind, list] of Object.entries(ui)) {
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        if (item === null || typeof item !== 'object') continue;
        const rec = item as Record<string, unknown>;
        const filename = str(rec.filename);
        if (!filename) continue;
        files.push({
          nodeId,
          kind,
          filename,
          subfolder: str(rec.subfolder) ?? '',
          type: str(rec.type) ?? 'output',
        });
      }
    }
  }
  return files;
}

/** The outcome of a finished run, from its status messages first and `status_str` second. */
function outcomeFromStatus(
  status: { status_str?: string; messages: Messages } | undefined,
): RunOutcome {
  const messages = status?.messages ?? [];
  const find = (event: string) => messages.find(([e]) => e === event)?.[1];
  const error = find('execution_error');
  if (error) {
    const outcome: RunOutcome = {
      kind: 'error',
      exceptionMessage: (
        str(error.exception_message) ?? 'ComfyUI reported an execution error'
      ).trim(),
    };
    const nodeId =
      str(error.node_id) ?? (typeof error.node_id === 'number' ? String(error.node_id) : undefined);
    if (nodeId !== undefined) outcome.nodeId = nodeId;
    const nodeType = str(error.node_type);
    if (nodeType !== undefined) outcome.nodeType = nodeType;
    const exceptionType = str(error.exception_type);
    if (exceptionType !== undefined) outcome.exceptionType = exceptionType;
    return outcome;
  }
  const interrupted = find('execution_interrupted');
  if (interrupted) {
    const outcome: RunOutcome = { kind: 'interrupted' };
    const nodeId = str(interrupted.node_id);
    if (nodeId !== undefined) outcome.nodeId = nodeId;
    const nodeType = str(interrupted.node_type);
    if (nodeType !== undefined) outcome.nodeType = nodeType;
    return outcome;
  }
  if (find('execution_success')) return { kind: 'success' };
  // No terminal message. Servers older than the `status` object wrote only finished entries.
  if (status === undefined || status.status_str === undefined || status.status_str === 'success') {
    return { kind: 'success' };
  }
  return { kind: 'error', exceptionMessage: `ComfyUI reported status ${status.status_str}` };
}

const TERMINAL_EVENTS = new Set(['execution_success', 'execution_error', 'execution_interrupted']);

/** One history entry (the value under its prompt id) -> ComfyRun. */
export function parseHistoryEntry(promptId: string, raw: unknown): ComfyRun {
  const parsed = HistoryEntry.safeParse(raw);
  if (!parsed.success) {
    throw new ComfyProtocolError(`ComfyUI history entry for ${promptId} has an unexpected shape.`, {
      details: parsed.error.issues.slice(0, 5),
    });
  }
  const entry = parsed.data;
  const messages = (entry.status?.messages ?? []) as Messages;
  const run: ComfyRun = {
    promptId,
    outcome: outcomeFromStatus(entry.status && { ...entry.status, messages }),
    outputs: collectOutputFiles(entry.outputs),
    cachedNodes: [],
  };
  for (const [event, data] of messages) {
    if (event === 'execution_start') {
      const t = num(data.timestamp);
      if (t !== undefined) run.startedAt = t;
    } else if (event === 'execution_cached' && Array.isArray(data.nodes)) {
      run.cachedNodes = data.nodes.map(String);
    } else if (TERMINAL_EVENTS.has(event)) {
      const t = num(data.timestamp);
      if (t !== undefined) run.finishedAt = t;
    }
  }
  return run;
}

/**
 * A `GET /history` or `GET /history/{id}` body -> runs, in the server's order (oldest first).
 * `{}` (pending, running, unknown, evicted or deleted alike) gives an empty list.
 */
export function parseHistoryResponse(raw: unknown): ComfyRun[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ComfyProtocolError('ComfyUI /history did not return a JSON object.');
  }
  const shape = HistoryResponse.safeParse(raw);
  if (!shape.success) {
    throw new ComfyProtocolError('ComfyUI /history returned entries of an unexpected shape.', {
      details: shape.error.issues.slice(0, 5),
    });
  }
  return Object.entries(raw as Record<string, unknown>).map(([id, entry]) =>
    parseHistoryEntry(id, entry),
  );
}

/** `GET /history/{id}` -> the run, or undefined for `{}`. */
export function parseHistoryFor(promptId: string, raw: unknown): ComfyRun | undefined {
  const runs = parseHistoryResponse(raw);
  return runs.find((r) => r.promptId === promptId);
}
