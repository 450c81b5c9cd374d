import { createHash } from 'node:crypto';

/**
 * The owner as a single safe S3 key segment: plain owners stay readable, anything else (JWT subjects
 * with `|`, `/`, Unicode...) becomes a stable hash, so no owner can shape another owner's prefix.
 */
export function ownerSegment(owner: string): string {
  if (/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/.test(owner)) return owner;
  return `h-${createHash('sha256').update(owner).digest('hex').slice(0, 32)}`;
}
