/**
 * ImageConverter on sharp (libvips). sharp decodes PNG and JPEG progressively from the incoming
 * stream (`sequentialRead`), encodes as it goes where the codec allows, and drops every metadata
 * chunk unless asked to keep it, which we never do. Transparent images converted to JPEG (which has no
 * alpha) are flattened onto white.
 */
import type { Duplex } from 'node:stream';
import sharp from 'sharp';
import { DEFAULT_QUALITY, type OutputFormat } from '../../domain/output-format.js';
import type { ImageConverter } from '../../ports/image-converter.js';

/** Refuse decompression bombs: ComfyUI's largest practical outputs are far below this. */
const MAX_INPUT_PIXELS = 16384 * 16384;

export class SharpImageConverter implements ImageConverter {
  convert(target: OutputFormat): Duplex {
    const quality = target.quality ?? DEFAULT_QUALITY;
    const image = sharp({
      sequentialRead: true,
      limitInputPixels: MAX_INPUT_PIXELS,
      failOn: 'error',
    });
    switch (target.format) {
      case 'png':
        return image.png({ compressionLevel: 6 });
      case 'webp':
        return image.webp({ quality, effort: 4 });
      case 'jpeg':
        return image.flatten({ background: '#ffffff' }).jpeg({ quality, mozjpeg: true });
    }
  }
}
