import type { IdGenerator } from '../../shared/domain/ids.js';

/**
 * Deterministic canonical UUIDs (valid task ids): `00000000-0000-4000-8000-000000000001`, `...0002`,
 * ... A `prefix` of up to 8 hex digits replaces the first group, to tell sequences apart.
 */
export class SequenceIds implements IdGenerator {
  private n = 0;
  constructor(private readonly prefix = '00000000') {
    if (!/^[0-9a-f]{1,8}$/.test(prefix)) throw new Error('prefix must be 1-8 lowercase hex digits');
  }
  next(): string {
    this.n += 1;
    return `${this.prefix.padStart(8, '0')}-0000-4000-8000-${this.n.toString(16).padStart(12, '0')}`;
  }
}
