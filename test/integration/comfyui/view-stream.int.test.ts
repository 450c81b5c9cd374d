/**
 * No buffering: a 500 MB /view output streamed through HttpComfyClient keeps this process's RSS growth
 * under 64 MB (the stand-in generates the file on the fly in the same process, so both sides count).
 */
import { createHash, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ComfyStandIn, startComfyStandIn } from '../../../infra/local/comfy-standin/index.js';
import { HttpComfyClient } from '../../../shared/adapters/comfyui/http-comfy-client.js';
import { waitForRun } from './contract.js';

const SIZE = 500 * 1024 * 1024;
const LIMIT = 64 * 1024 * 1024;

let comfy: ComfyStandIn;
let client: HttpComfyClient;
beforeAll(async () => {
  comfy = await startComfyStandIn({ executionMs: 0 });
  client = HttpComfyClient.create({ baseUrl: comfy.url });
});
afterAll(async () => {
  await client?.close();
  await comfy?.stop();
});

async function largeOutput(size: number) {
  const s = await client.submitPrompt({
    promptId: randomUUID(),
    workflow: {
      '1': {
        class_type: 'StandInLargeOutput',
        inputs: { size_bytes: size, filename_prefix: 'rss/big' },
      },
    },
    clientId: 'rss',
  });
  const run = await waitForRun(client, s.promptId);
  return { promptId: s.promptId, file: run.outputs[0] as (typeof run.outputs)[0] & object };
}

it('streams a 500 MB output with RSS growth under 64 MB, bytes intact', async () => {
  const { promptId, file } = await largeOutput(SIZE);

  // Growth is measured from just before the first /view of this process (cold sockets, allocator, JIT).
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  let received = 0;
  const hash = createHash('sha256');
  const view = await client.view(file);
  expect(view.size).toBe(SIZE);
  await pipeline(
    view.body,
    new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        hash.update(chunk);
        if ((received & 0xfffff) < chunk.length) peak = Math.max(peak, process.memoryUsage.rss());
        cb();
      },
    }),
  );
  peak = Math.max(peak, process.memoryUsage.rss());
  const mb = (n: number) => (n / 1048576).toFixed(1);
  console.log(
    `/view 500 MB through HttpComfyClient: RSS ${mb(baseline)} MB before, peak growth ${mb(peak - baseline)} MB`,
  );
  expect(received).toBe(SIZE);
  expect(hash.digest('hex')).toBe(comfy.control.run(promptId)?.outputs[0]?.sha256);
  expect(peak - baseline).toBeLessThan(LIMIT);
}, 120_000);
