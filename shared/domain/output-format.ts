/**
 * The image format a caller wants its outputs in (`"output": {"format", "quality"}` on submit). The
 * poller converts still images while copying them from ComfyUI to S3; everything else is stored as
 * ComfyUI wrote it.
 *
 * Metadata policy: a converted image carries no metadata. ComfyUI's PNGs embed the whole prompt and
 * workflow in text chunks; a conversion drops them (and EXIF/XMP), and turns an embedded ICC profile
 * into sRGB pixels. An output that is not converted (no `output` asked, or already in the asked
 * format) is stored byte for byte, text chunks included.
 */
import { InvalidRequestError } from './errors.js';
import type { ComfyWorkflow } from './task.js';

export const OUTPUT_FORMATS = ['png', 'webp', 'jpeg'] as const;
export type OutputFormatName = (typeof OUTPUT_FORMATS)[number];

export interface OutputFormat {
  format: OutputFormatName;
  /** 1-100 for webp and jpeg; png is lossless and ignores it. @default DEFAULT_QUALITY */
  quality?: number;
}

/** The quality used when none is given (libvips' default for both lossy codecs). */
export const DEFAULT_QUALITY = 80;

export const FORMAT_CONTENT_TYPES: Readonly<Record<OutputFormatName, string>> = {
  png: 'image/png',
  webp: 'image/webp',
  jpeg: 'image/jpeg',
};

export const FORMAT_EXTENSIONS: Readonly<Record<OutputFormatName, string>> = {
  png: 'png',
  webp: 'webp',
  jpeg: 'jpg',
};

/** Still-image types the poller converts. GIF is left alone: it may be animated. */
export const CONVERTIBLE_CONTENT_TYPES: ReadonlySet<string> = new Set([
  'image/png',
  'image/jpeg',
  'image/webp',
  'image/bmp',
  'image/tiff',
]);

/**
 * Node types that save video or audio, for which an image format means nothing: ComfyUI's own and
 * the widely used Video Helper Suite's.
 */
const MEDIA_SAVE_NODES: Readonly<Record<string, 'video' | 'audio'>> = {
  SaveVideo: 'video',
  SaveWEBM: 'video',
  SaveAnimatedWEBP: 'video',
  SaveAnimatedPNG: 'video',
  VHS_VideoCombine: 'video',
  SaveAudio: 'audio',
  SaveAudioMP3: 'audio',
  SaveAudioOpus: 'audio',
};

/**
 * Refuses an output format for a workflow that saves video or audio: the format would silently not
 * apply to those outputs.
 */
export function assertFormatApplies(workflow: ComfyWorkflow, output: OutputFormat): void {
  const media = Object.entries(workflow)
    .map(([nodeId, node]) => ({
      nodeId,
      classType: node.class_type,
      kind: MEDIA_SAVE_NODES[node.class_type],
    }))
    .filter((n) => n.kind !== undefined);
  if (media.length === 0) return;
  throw new InvalidRequestError(
    `"output": {"format": "${output.format}"} converts still images only, but node ${media
      .map((n) => `${n.nodeId} (${n.classType})`)
      .join(
        ', ',
      )} saves ${[...new Set(media.map((n) => n.kind))].join(' and ')}. Leave "output" out for this workflow.`,
    {
      issues: media.map((n) => ({
        path: ['body', 'output', 'format'],
        message: `not applicable to node ${n.nodeId} (${n.classType}), which saves ${n.kind}`,
      })),
    },
    'OUTPUT_FORMAT_NOT_APPLICABLE',
  );
}
