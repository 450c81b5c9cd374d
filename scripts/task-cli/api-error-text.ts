/**
 * An API refusal as the CLI prints it: the status and code, the message, then the error's
 * `details`. Validation issues (`details.issues`) become one line each, naming the field, the value
 * that was sent (looked up in the request body) and what the API allows.
 */
import type { ApiError } from './api-client.js';

interface Issue {
  path: (string | number)[];
  message: string;
}

const isIssue = (v: unknown): v is Issue =>
  typeof v === 'object' &&
  v !== null &&
  Array.isArray((v as Issue).path) &&
  typeof (v as Issue).message === 'string';

/** The value at `path` in what was sent, if there is one there. */
function valueAt(
  sent: unknown,
  path: readonly (string | number)[],
): { value: unknown } | undefined {
  let at: unknown = sent;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string | number, unknown>)[key];
  }
  return { value: at };
}

const MAX_VALUE_CHARS = 80;
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 3)}...` : text;
}

export function describeApiError(err: ApiError, sent?: unknown): string {
  const lines = [`error: ${err.message}`];
  const details = err.details;
  if (details === undefined || details === null) return lines[0] as string;
  const { issues, ...rest } = details as { issues?: unknown };
  if (Array.isArray(issues) && issues.every(isIssue)) {
    for (const issue of issues) {
      const where = issue.path.length ? issue.path.join('.') : '(body)';
      const got = issue.path.length ? valueAt(sent, issue.path) : undefined;
      // A message that already says it all (e.g. "Invalid path.taskId: a lowercase UUID").
      if (!got && err.message.includes(`${where}: ${issue.message}`)) continue;
      lines.push(`  ${where}: ${issue.message}${got ? ` (sent ${show(got.value)})` : ''}`);
    }
    if (Object.keys(rest).length) lines.push(`  details: ${JSON.stringify(rest)}`);
  } else {
    lines.push(`  details: ${JSON.stringify(details)}`);
  }
  return lines.join('\n');
}
