/**
 * Captures everything this process writes to stdout and stderr (the Powertools logger writes JSON
 * lines through a Console bound to them, as in Lambda), for tests that read the logs. Call `stop()`
 * to restore the streams; `text()` is everything captured so far.
 */
export interface CapturedOutput {
  text(): string;
  lines(): string[];
  stop(): void;
}

export function captureOutput(opts: { passThrough?: boolean } = {}): CapturedOutput {
  const chunks: string[] = [];
  const originals = {
    out: process.stdout.write.bind(process.stdout),
    err: process.stderr.write.bind(process.stderr),
  };
  const tap =
    (original: typeof process.stdout.write) =>
    (chunk: unknown, ...rest: unknown[]): boolean => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
      if (opts.passThrough) return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    };
  process.stdout.write = tap(originals.out) as typeof process.stdout.write;
  process.stderr.write = tap(originals.err) as typeof process.stderr.write;
  return {
    text: () => chunks.join(''),
    lines: () => chunks.join('').split('\n').filter(Boolean),
    stop() {
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
    },
  };
}

/** Secrets that must never reach a log line: API keys, JWTs, presigned URL signatures. */
const SECRET_PATTERNS: Readonly<Record<string, RegExp>> = {
  'API key': /csk_[A-Za-z0-9_-]{20,}/,
  JWT: /eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/,
  'presigned signature': /X-Amz-Signature=[0-9a-f]{16,}/i,
  'presigned credential': /X-Amz-Credential=[^&\s"]{8,}/i,
  'session token': /X-Amz-Security-Token=[^&\s"]{8,}/i,
};

/** The secret kinds (and the literal secrets given) found in `text`, with a little context. */
export function findSecrets(text: string, literals: readonly string[] = []): string[] {
  const found: string[] = [];
  for (const [name, re] of Object.entries(SECRET_PATTERNS)) {
    const m = re.exec(text);
    if (m) found.push(`${name}: ...${text.slice(Math.max(0, m.index - 80), m.index + 40)}...`);
  }
  for (const secret of literals) {
    const i = text.indexOf(secret);
    if (i >= 0) found.push(`literal secret: ...${text.slice(Math.max(0, i - 80), i + 20)}...`);
  }
  return found;
}
