/** Re-encoding a still image into another format, as a stream (the sharp adapter implements it). */
import type { Duplex } from 'node:stream';
import type { OutputFormat } from '../domain/output-format.js';

export interface ImageConverter {
  /**
   * A stream that takes the encoded source image and gives it back encoded as `target`, with no
   * metadata (see the policy in domain/output-format.ts). It errors on input it cannot decode.
   */
  convert(target: OutputFormat): Duplex;
}
