import type { Clock } from '../../shared/ports/clock.js';

/** A clock that only moves when told to. */
export class FixedClock implements Clock {
  private ms: number;
  constructor(start: number | string = '2026-01-01T00:00:00.000Z') {
    this.ms = typeof start === 'number' ? start : Date.parse(start);
  }
  now(): number {
    return this.ms;
  }
  iso(): string {
    return new Date(this.ms).toISOString();
  }
  advance(ms: number): this {
    this.ms += ms;
    return this;
  }
  set(at: number | string): this {
    this.ms = typeof at === 'number' ? at : Date.parse(at);
    return this;
  }
}
