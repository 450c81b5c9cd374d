/** Validation problems as `{ path, message }`, the shape of `details.issues` in every 400. */
import type { $ZodError } from 'zod/v4/core';

export interface IssueView {
  path: (string | number)[];
  message: string;
}

export const zodIssues = (err: $ZodError, prefix: (string | number)[] = []): IssueView[] =>
  err.issues.slice(0, 20).map((i) => ({
    path: [...prefix, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    message: i.message,
  }));
