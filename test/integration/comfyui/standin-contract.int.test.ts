/** The ComfyClient contract against the stand-in (always runs). */
import { afterAll, beforeAll } from 'vitest';
import { type ComfyStandIn, startComfyStandIn } from '../../../infra/local/comfy-standin/index.js';
import { HttpComfyClient } from '../../../shared/adapters/comfyui/http-comfy-client.js';
import { type ContractTarget, comfyServerContract } from './contract.js';

let standIn: ComfyStandIn;
let target: ContractTarget;

beforeAll(async () => {
  // ImageBlur is the "slow node" of the contract (about 4.5 s each on the CPU harness).
  standIn = await startComfyStandIn({ executionMs: 20, nodeTimeMs: { ImageBlur: 300 } });
  target = { client: HttpComfyClient.create({ baseUrl: standIn.url }) };
});
afterAll(async () => {
  await target?.client.close();
  await standIn?.stop();
});

comfyServerContract(() => target);
