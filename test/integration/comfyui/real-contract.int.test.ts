/**
 * The same ComfyClient contract, unchanged, against a real ComfyUI at COMFYUI_URL (for example the CPU
 * server of docs/comfyui-contract.md). Without COMFYUI_URL there is no real server to talk to, so the
 * suite is skipped and says why.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { HttpComfyClient } from '../../../shared/adapters/comfyui/http-comfy-client.js';
import { type ContractTarget, comfyServerContract } from './contract.js';

const url = process.env.COMFYUI_URL;
if (!url) {
  console.log(
    'real ComfyUI contract suite skipped: COMFYUI_URL is not set (see docs/comfyui-contract.md)',
  );
}

// Skipped without COMFYUI_URL: these tests need a real ComfyUI server.
describe.skipIf(!url)(`real ComfyUI at ${url ?? '(COMFYUI_URL unset)'}`, () => {
  let target: ContractTarget;
  beforeAll(() => {
    target = {
      client: HttpComfyClient.create({ baseUrl: url as string, headersTimeout: 120_000 }),
    };
  });
  afterAll(async () => {
    await target?.client.close();
  });
  comfyServerContract(() => target);
});
