import { randomUUID } from 'node:crypto';

/** Canonical lowercase UUID, also used as ComfyUI's prompt_id (newer servers require this form). */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const isTaskId = (s: string): boolean => UUID_RE.test(s);

/** Id source, a port so tests can be deterministic. */
export interface IdGenerator {
  next(): string;
}
export const randomIds: IdGenerator = { next: () => randomUUID() };
