import { describe, expect, it } from 'vitest';
import { createLimiter } from '../../shared/limiter.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('createLimiter', () => {
  it('never runs more than n jobs at once, even when one finishes as another arrives', async () => {
    const limiter = createLimiter(2);
    let active = 0;
    let peak = 0;
    const job = async () => {
      active++;
      peak = Math.max(peak, active);
      await tick();
      active--;
    };
    const first = Array.from({ length: 5 }, () => limiter.run(job));
    await tick();
    const late = Array.from({ length: 5 }, () => limiter.run(job));
    await Promise.all([...first, ...late]);
    expect(peak).toBe(2);
  });
});
