import { PNG } from 'pngjs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { SharpImageConverter } from '../../../shared/adapters/sharp/image-converter.js';
import { pollTasks } from '../../../shared/use-cases/poll-tasks.js';
import { harness } from './harness.js';

/** A PNG with a gradient and a tEXt chunk holding a workflow, as ComfyUI's SaveImage writes. */
async function comfyPng(width = 64, height = 48): Promise<Buffer> {
  const img = new PNG({ width, height });
  for (let i = 0; i < img.data.length; i += 4) {
    const p = i / 4;
    img.data[i] = (p % width) * 4;
    img.data[i + 1] = Math.floor(p / width) * 5;
    img.data[i + 2] = 120;
    img.data[i + 3] = 255;
  }
  const png = PNG.sync.write(img);
  return sharp(png)
    .png()
    .withMetadata()
    .keepIccProfile()
    .toBuffer()
    .then((b) => insertTextChunk(b, 'workflow', '{"3":{"class_type":"KSampler"}}'));
}

/** Inserts a tEXt chunk after IHDR (sharp does not write text chunks itself). */
function insertTextChunk(png: Buffer, keyword: string, text: string): Buffer {
  const data = Buffer.concat([
    Buffer.from(keyword, 'latin1'),
    Buffer.from([0]),
    Buffer.from(text, 'latin1'),
  ]);
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write('tEXt', 4, 'ascii');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
  return Buffer.concat([png.subarray(0, ihdrEnd), chunk, png.subarray(ihdrEnd)]);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

const IMAGE = {
  nodeId: '9',
  kind: 'images',
  filename: 'img_00001_.png',
  subfolder: '',
  type: 'output',
};

function setup(outputFormat?: { format: 'png' | 'webp' | 'jpeg'; quality?: number }) {
  const h = harness();
  h.deps.converter = new SharpImageConverter();
  const t = h.dispatched({ owner: 'alice', ...(outputFormat ? { outputFormat } : {}) });
  return { h, t };
}

describe('output formats: the poller converts still images while copying', () => {
  it('webp: stored under .webp, decodes, smaller, both sizes recorded, the embedded workflow dropped', async () => {
    const { h, t } = setup({ format: 'webp' });
    const png = await comfyPng();
    expect(png.includes(Buffer.from('KSampler'))).toBe(true);
    h.comfy.addFile(IMAGE as never, png, 'image/png');
    h.comfy.finish(t.taskId, { outputs: [IMAGE as never] });
    await pollTasks(h.deps);
    const done = await h.tasks.get(t.taskId);
    expect(done?.status).toBe('succeeded');
    const out = done?.outputs[0];
    expect(out).toMatchObject({
      filename: 'img_00001_.webp',
      s3Key: `outputs/alice/${t.taskId}/9/img_00001_.webp`,
      contentType: 'image/webp',
      original: { filename: 'img_00001_.png', contentType: 'image/png', size: png.length },
    });
    const stored = h.artifacts.bytes(out?.s3Key as string) as Buffer;
    expect(out?.size).toBe(stored.length);
    expect(stored.length).toBeLessThan(png.length);
    const meta = await sharp(stored).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 64, 48]);
    expect(stored.includes(Buffer.from('KSampler'))).toBe(false);
    expect(h.artifacts.keys()).toEqual([out?.s3Key]);
  });

  it('jpeg at a given quality: lower quality gives fewer bytes', async () => {
    const sizes: number[] = [];
    for (const quality of [95, 30]) {
      const { h, t } = setup({ format: 'jpeg', quality });
      h.comfy.addFile(IMAGE as never, await comfyPng(), 'image/png');
      h.comfy.finish(t.taskId, { outputs: [IMAGE as never] });
      await pollTasks(h.deps);
      const out = (await h.tasks.get(t.taskId))?.outputs[0];
      expect(out?.contentType).toBe('image/jpeg');
      expect(out?.filename).toBe('img_00001_.jpg');
      expect((await sharp(h.artifacts.bytes(out?.s3Key as string)).metadata()).format).toBe('jpeg');
      sizes.push(out?.size as number);
    }
    expect(sizes[1]).toBeLessThan(sizes[0] as number);
  });

  it('leaves an output already in the asked format, video, audio and animated GIF byte for byte', async () => {
    const { h, t } = setup({ format: 'png' });
    const png = await comfyPng();
    const files = [
      IMAGE,
      { nodeId: '12', kind: 'videos', filename: 'clip.mp4', subfolder: '', type: 'output' },
      { nodeId: '13', kind: 'images', filename: 'anim.gif', subfolder: '', type: 'output' },
    ];
    h.comfy.addFile(files[0] as never, png, 'image/png');
    h.comfy.addFile(files[1] as never, Buffer.alloc(500, 7), 'video/mp4');
    h.comfy.addFile(files[2] as never, 'GIF89a...', 'image/gif');
    h.comfy.finish(t.taskId, { outputs: files as never });
    await pollTasks(h.deps);
    const outputs = (await h.tasks.get(t.taskId))?.outputs ?? [];
    expect(outputs.map((o) => [o.filename, o.contentType, o.size, o.original])).toEqual([
      ['clip.mp4', 'video/mp4', 500, undefined],
      ['anim.gif', 'image/gif', 9, undefined],
      ['img_00001_.png', 'image/png', png.length, undefined],
    ]);
    expect(h.artifacts.bytes(`outputs/alice/${t.taskId}/9/img_00001_.png`)?.equals(png)).toBe(true);
  });

  it('a file that does not decode fails the copy (retried, then the task fails saying which file)', async () => {
    const { h, t } = setup({ format: 'webp' });
    h.comfy.addFile(IMAGE as never, 'not really a png', 'image/png');
    h.comfy.finish(t.taskId, { outputs: [IMAGE as never] });
    await pollTasks(h.deps);
    expect((await h.tasks.get(t.taskId))?.copyFailures?.attempts).toBe(1);
    for (let i = 0; i < 5; i++) {
      h.clock.advance(60_000);
      await pollTasks(h.deps);
    }
    const failed = await h.tasks.get(t.taskId);
    expect(failed?.status).toBe('failed');
    expect(failed?.error?.code).toBe('OUTPUT_COPY_FAILED');
    expect(JSON.stringify(failed?.error?.details)).toContain('img_00001_.png');
  });
});
