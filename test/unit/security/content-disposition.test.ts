import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentDisposition } from '../../../shared/adapters/s3/artifact-store.js';

describe('contentDisposition (the download name of a presigned output link)', () => {
  it('does not throw on a lone surrogate, which a non-UTF-8 file name from ComfyUI becomes', () => {
    expect(contentDisposition('a\uD800.png')).toBe(
      `attachment; filename="a_.png"; filename*=UTF-8''a%EF%BF%BD.png`,
    );
    expect(() => contentDisposition('\uDC80x\uDBFF')).not.toThrow();
  });

  it('is one header line of printable ASCII for any name', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (name) => {
        const header = contentDisposition(name);
        expect(header).toMatch(/^attachment; filename="[\x20-\x7e]*"; filename\*=UTF-8''\S*$/);
        expect(header).not.toMatch(/[\r\n\0]/);
      }),
      { seed: 7, numRuns: 200 },
    );
  }, 30_000);
});
