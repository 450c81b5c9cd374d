/**
 * Output formats: what `"output": {"format": "webp"}` saves per image at the default quality, and what
 * the conversion adds to result lag. Images come from ComfyUI itself: the built-in txt2img template
 * run on the stand-in at three sizes, and, with --comfyui-url (or COMFYUI_URL), once on a real
 * ComfyUI. Each image is converted as the poller does (SharpImageConverter, streamed from the PNG
 * bytes to a counting sink), five times; the median conversion time is what a task's result waits
 * longer, since the copy to S3 streams the converter's output and ends when it does.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { startComfyStandIn } from '../../infra/local/comfy-standin/index.js';
import { SharpImageConverter } from '../../shared/adapters/sharp/image-converter.js';
import { DEFAULT_QUALITY } from '../../shared/domain/output-format.js';
import type { ComfyWorkflow } from '../../shared/domain/task.js';
import { createTemplateCatalog } from '../../shared/templates/catalog.js';
import { type Figure, figure, missing } from '../lib/figure.js';
import { median } from '../lib/stats.js';

const REPEATS = 5;
const REAL_CHECKPOINT = 'random_sd15_small.safetensors';

/** Runs a workflow on a ComfyUI (real or stand-in) over its HTTP API and returns its first image. */
async function firstImage(baseUrl: string, workflow: ComfyWorkflow, timeoutMs: number) {
  const res = await fetch(`${baseUrl}/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: workflow, client_id: 'bench-formats' }),
  });
  if (!res.ok) throw new Error(`POST /prompt: ${res.status} ${await res.text()}`);
  const { prompt_id: id } = (await res.json()) as { prompt_id: string };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const history = (await (await fetch(`${baseUrl}/history/${id}`)).json()) as Record<
      string,
      {
        outputs: Record<
          string,
          { images?: { filename: string; subfolder: string; type: string }[] }
        >;
      }
    >;
    const entry = history[id];
    const image = entry && Object.values(entry.outputs).flatMap((o) => o.images ?? [])[0];
    if (image) {
      const q = new URLSearchParams(image);
      return Buffer.from(await (await fetch(`${baseUrl}/view?${q}`)).arrayBuffer());
    }
    if (entry) throw new Error(`run ${id} finished without an image`);
    if (Date.now() > deadline) throw new Error(`run ${id} not finished in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Converts as the poller does; returns the converted size and the time it took. */
async function convert(png: Buffer): Promise<{ bytes: number; ms: number }> {
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done();
    },
  });
  const start = performance.now();
  await pipeline(Readable.from([png]), new SharpImageConverter().convert({ format: 'webp' }), sink);
  return { bytes, ms: performance.now() - start };
}

async function measure(images: { label: string; png: Buffer }[]) {
  const rows = [];
  for (const { label, png } of images) {
    const runs = [];
    for (let i = 0; i < REPEATS; i++) runs.push(await convert(png));
    rows.push({
      image: label,
      png_bytes: png.length,
      webp_bytes: runs[0]?.bytes ?? 0,
      convert_ms_p50: Math.round(median(runs.map((r) => r.ms)) * 10) / 10,
    });
  }
  const png = rows.reduce((a, r) => a + r.png_bytes, 0);
  const webp = rows.reduce((a, r) => a + r.webp_bytes, 0);
  return {
    savedPct: (100 * (png - webp)) / png,
    savedBytesPerImage: (png - webp) / rows.length,
    lagMs: median(rows.map((r) => r.convert_ms_p50)),
    rows,
  };
}

function txt2img(width: number, height: number, seed: number, extra: Record<string, unknown> = {}) {
  return createTemplateCatalog()
    .get('txt2img')
    .render({ prompt: 'a lighthouse on a cliff at dusk', width, height, seed, ...extra }).workflow;
}

export async function formatFigures(opts: {
  comfyuiUrl?: string;
  log: (line: string) => void;
}): Promise<Figure[]> {
  const figures: Figure[] = [];
  const standIn = await startComfyStandIn({ executionMs: 50 });
  try {
    const images = [];
    for (const [w, h] of [
      [512, 512],
      [768, 512],
      [1024, 1024],
    ] as const) {
      images.push({
        label: `stand-in ${w}x${h}`,
        png: await firstImage(standIn.url, txt2img(w, h, w + h), 30_000),
      });
    }
    opts.log(`stand-in: ${images.length} images`);
    const m = await measure(images);
    const details = { quality: DEFAULT_QUALITY, images: m.rows };
    figures.push(
      figure('webp_bytes_saved_pct_standin', m.savedPct, '%', undefined, {
        ...details,
        saved_bytes_per_image: Math.round(m.savedBytesPerImage),
      }),
      figure('webp_added_result_lag_ms_standin', m.lagMs, 'ms', undefined, details),
    );
  } finally {
    await standIn.stop();
  }
  if (!opts.comfyuiUrl) {
    const why = 'no real ComfyUI: pass --comfyui-url or set COMFYUI_URL';
    figures.push(
      missing('webp_bytes_saved_pct_real', '%', why),
      missing('webp_added_result_lag_ms_real', 'ms', why),
    );
    return figures;
  }
  try {
    opts.log(`real ComfyUI ${opts.comfyuiUrl}: one 512x512 txt2img (${REAL_CHECKPOINT}, 8 steps)`);
    const png = await firstImage(
      opts.comfyuiUrl,
      txt2img(512, 512, Date.now() % 100_000, { steps: 8, checkpoint: REAL_CHECKPOINT }),
      10 * 60_000,
    );
    const m = await measure([{ label: 'real ComfyUI 512x512', png }]);
    const details = { quality: DEFAULT_QUALITY, images: m.rows, checkpoint: REAL_CHECKPOINT };
    figures.push(
      figure('webp_bytes_saved_pct_real', m.savedPct, '%', undefined, {
        ...details,
        saved_bytes_per_image: Math.round(m.savedBytesPerImage),
      }),
      figure('webp_added_result_lag_ms_real', m.lagMs, 'ms', undefined, details),
    );
  } catch (err) {
    const why = `real ComfyUI run failed: ${(err as Error).message}`;
    figures.push(
      missing('webp_bytes_saved_pct_real', '%', why),
      missing('webp_added_result_lag_ms_real', 'ms', why),
    );
  }
  return figures;
}
