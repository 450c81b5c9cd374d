/**
 * What a ComfyUI server shows over HTTP beyond the ComfyClient port contract
 * (test/contract/comfy-client.contract.ts): validation details, caching, the image bytes, loading
 * uploads, and the wire shapes the stand-in must reproduce. It runs with the port contract against
 * the stand-in in `npm test` and, unchanged, against a real ComfyUI when COMFYUI_URL is set (see
 * real-contract.int.test.ts and docs/comfyui-contract.md).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import type { HttpComfyClient } from '../../../shared/adapters/comfyui/http-comfy-client.js';
import { ComfyRejectedError } from '../../../shared/domain/errors.js';
import type { ComfyWorkflow } from '../../../shared/domain/task.js';
import {
  comfyClientContract,
  nextColor,
  readAll,
  submitWith,
  CONTRACT_TAG as TAG,
  waitForRun,
} from '../../contract/comfy-client.contract.js';
import { emptyToSave, invertUpload, runtimeError, txt2img } from './workflows.js';

export { waitForRun };

export interface ContractTarget {
  client: HttpComfyClient;
}

const CLIENT_ID = `contract-${randomBytes(4).toString('hex')}`;

/** The port contract and the HTTP-only behaviour, both against one server. */
export function comfyServerContract(target: () => ContractTarget) {
  comfyClientContract(target);
  comfyHttpContract(target);
}

function comfyHttpContract(target: () => ContractTarget) {
  const submit = (workflow: ComfyWorkflow) => submitWith(target().client, workflow);

  describe('ComfyUI over HTTP', () => {
    it('writes the PNG the workflow describes', async () => {
      const { client } = target();
      const s = await submit(emptyToSave(`contract_${TAG}/png`, nextColor()));
      const run = await waitForRun(client, s.promptId);
      const [file] = run.outputs;
      const png = PNG.sync.read(
        await readAll((await client.view(file as NonNullable<typeof file>)).body),
      );
      expect([png.width, png.height]).toEqual([64, 64]);
    });

    it('rejects a missing input, a graph without outputs and values out of range with ComfyRejectedError', async () => {
      const missing = await submit({
        '2': { class_type: 'SaveImage', inputs: { filename_prefix: 'x' } },
      }).catch((e) => e);
      expect(missing).toBeInstanceOf(ComfyRejectedError);
      expect(missing.error.type).toBe('prompt_outputs_failed_validation');
      expect(missing.nodeErrors).toEqual([
        {
          nodeId: '2',
          classType: 'SaveImage',
          errors: [
            {
              type: 'required_input_missing',
              message: 'Required input is missing',
              details: 'images',
              inputName: 'images',
            },
          ],
        },
      ]);
      const noOutputs = await submit({
        '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } },
      }).catch((e) => e);
      expect(noOutputs).toBeInstanceOf(ComfyRejectedError);
      expect(noOutputs.error.type).toBe('prompt_no_outputs');
      // Both width and height are 0: ComfyUI reports both, in its (Python set) iteration order.
      const range = await submit(emptyToSave('x', 0, 0)).catch((e) => e);
      expect(range).toBeInstanceOf(ComfyRejectedError);
      const tooSmall = range.nodeErrors[0].errors.map(
        (e: { type: string; inputName: string }) => `${e.type}:${e.inputName}`,
      );
      expect(tooSmall.sort()).toEqual([
        'value_smaller_than_min:height',
        'value_smaller_than_min:width',
      ]);
    });

    it('queues the valid outputs and reports the dropped ones (200 with node_errors)', async () => {
      const { client } = target();
      const wf = {
        ...emptyToSave(`contract_${TAG}/half`, nextColor(), 8),
        '3': { class_type: 'SaveImage', inputs: { filename_prefix: 'x' } },
      };
      const s = await submit(wf);
      expect(s.nodeErrors).toEqual([
        {
          nodeId: '3',
          classType: 'SaveImage',
          errors: [
            {
              type: 'required_input_missing',
              message: 'Required input is missing',
              details: 'images',
              inputName: 'images',
            },
          ],
        },
      ]);
      const run = await waitForRun(client, s.promptId);
      expect(run.outputs.map((o) => o.nodeId)).toEqual(['2']);
    });

    it('reports a runtime error with node id, class and exception', async () => {
      const { client } = target();
      const s = await submit(runtimeError(8 + (nextColor() % 50)));
      const run = await waitForRun(client, s.promptId);
      expect(run.outcome).toMatchObject({
        kind: 'error',
        nodeId: '4',
        nodeType: 'ImageBatch',
        exceptionType: 'RuntimeError',
      });
      expect(run.outcome.kind === 'error' && run.outcome.exceptionMessage).toMatch(
        /Sizes of tensors must match/,
      );
    });

    it('serves an identical re-run from cache: every node cached, the same outputs', async () => {
      const { client } = target();
      const wf = emptyToSave(`contract_${TAG}/cached`, nextColor(), 16);
      const first = await waitForRun(client, (await submit(wf)).promptId);
      const second = await waitForRun(client, (await submit(wf)).promptId);
      expect(first.cachedNodes).toEqual([]);
      expect(second.cachedNodes.sort()).toEqual(['1', '2']);
      expect(second.outputs).toEqual(first.outputs);
    });

    it('loads an uploaded image into a workflow', async () => {
      const { client } = target();
      const png = new PNG({ width: 4, height: 4 });
      for (let i = 0; i < png.data.length; i += 4) png.data.set([10, 20, 30, 255], i);
      const bytes = PNG.sync.write(png);
      const name = `contract_${TAG}_${randomBytes(3).toString('hex')}.png`;
      const first = await client.uploadImage({
        filename: name,
        body: bytes,
        contentType: 'image/png',
      });
      const run = await waitForRun(
        client,
        (await submit(invertUpload(first.name, `contract_${TAG}/inverted`))).promptId,
      );
      expect(run.outcome.kind).toBe('success');
      const out = PNG.sync.read(
        await readAll(
          (await client.view(run.outputs[0] as NonNullable<(typeof run.outputs)[0]>)).body,
        ),
      );
      expect([...out.data.subarray(0, 3)]).toEqual([245, 235, 225]);
    });

    it('loads a streamed upload with an odd name from a subfolder by "sub/name"', async () => {
      const { client } = target();
      const png = new PNG({ width: 2, height: 2 });
      png.data.fill(255);
      const bytes = PNG.sync.write(png);
      const name = `quote "${TAG}" ${randomBytes(2).toString('hex')}.png`;
      const body = Readable.from([bytes.subarray(0, 7), bytes.subarray(7)]);
      const up = await client.uploadImage({
        filename: name,
        body,
        contentType: 'image/png',
        subfolder: `contract_${TAG}`,
      });
      const run = await waitForRun(
        client,
        (await submit(invertUpload(`${up.subfolder}/${up.name}`, `contract_${TAG}/sub`))).promptId,
      );
      expect(run.outcome.kind).toBe('success');
    });

    it('describes node classes in /object_info', async () => {
      const info = (await target().client.getObjectInfo('EmptyImage')).EmptyImage as Record<
        string,
        unknown
      >;
      expect(info.output).toEqual(['IMAGE']);
    });

    it('runs txt2img when the checkpoint exists, and rejects it with value_not_in_list when it does not', async () => {
      const { client } = target();
      const loader = (await client.getObjectInfo('CheckpointLoaderSimple'))
        .CheckpointLoaderSimple as {
        input: { required: { ckpt_name: [string[]] } };
      };
      const ckpts = loader.input.required.ckpt_name[0];
      const missing = await submit(txt2img(`absent_${TAG}.safetensors`, 1, 'x')).catch((e) => e);
      expect(missing).toBeInstanceOf(ComfyRejectedError);
      expect(missing.nodeErrors[0]).toMatchObject({
        nodeId: '4',
        classType: 'CheckpointLoaderSimple',
      });
      expect(missing.nodeErrors[0].errors[0].type).toBe('value_not_in_list');
      if (!ckpts.includes('random_sd15_small.safetensors')) {
        console.log(
          'txt2img run not attempted: random_sd15_small.safetensors is not on this server',
        );
        return;
      }
      const s = await submit(
        txt2img('random_sd15_small.safetensors', nextColor(), `contract_${TAG}/txt2img`),
      );
      const run = await waitForRun(client, s.promptId, 120_000);
      expect(run.outcome.kind).toBe('success');
      const png = PNG.sync.read(
        await readAll(
          (await client.view(run.outputs[0] as NonNullable<(typeof run.outputs)[0]>)).body,
        ),
      );
      expect([png.width, png.height]).toEqual([64, 64]);
    }, 180_000);
  });

  describe('ComfyUI wire shapes (what the stand-in must reproduce)', () => {
    const raw = (path: string, init?: RequestInit) =>
      fetch(`${target().client.baseUrl}${path}`, init);

    it('serves every route under /api too, and 404s unknown routes with aiohttp text', async () => {
      expect((await raw('/api/system_stats')).status).toBe(200);
      expect(await (await raw('/api/queue')).json()).toHaveProperty('queue_pending');
      const missing = await raw(`/no_such_route_${TAG}`);
      expect(missing.status).toBe(404);
      expect(await missing.text()).toBe('404: Not Found');
      expect((await raw('/jobs')).status).toBe(404); // the jobs API is never served without /api
    });

    it('writes JSON the way Python json.dumps does, and {} for unknown history and classes', async () => {
      expect(await (await raw('/prompt')).text()).toMatch(
        /^\{"exec_info": \{"queue_remaining": \d+\}\}$/,
      );
      const unknown = await raw(`/history/${randomUUID()}`);
      expect(unknown.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await unknown.text()).toBe('{}');
      expect(await (await raw('/object_info/NoSuchNode')).text()).toBe('{}');
    });

    it('answers queue/history/interrupt POSTs with 200 and an empty octet-stream body', async () => {
      for (const [path, body] of [
        ['/queue', { delete: [randomUUID()] }],
        ['/history', { delete: [randomUUID()] }],
        ['/interrupt', { prompt_id: randomUUID() }],
      ] as const) {
        const res = await raw(path, { method: 'POST', body: JSON.stringify(body) });
        expect([path, res.status, res.headers.get('content-type'), await res.text()]).toEqual([
          path,
          200,
          'application/octet-stream',
          '',
        ]);
      }
    });

    it('applies the /view path rules: 400 for .. or an unknown type, 403 for an escaping subfolder', async () => {
      expect((await raw('/view?filename=../main.py')).status).toBe(400);
      expect((await raw('/view?filename=x.png&type=bogus')).status).toBe(400);
      expect((await raw('/view?filename=x.png&subfolder=../../')).status).toBe(403);
      const missing = await raw(`/view?filename=missing_${TAG}.png&type=output`);
      expect([missing.status, await missing.text()]).toEqual([404, '']);
    });

    it('rejects an upload without an image field with an empty 400', async () => {
      const form = new FormData();
      form.append('file', new Blob([Buffer.from('x')]), 'x.png');
      const res = await raw('/upload/image', { method: 'POST', body: form });
      expect([res.status, await res.text()]).toEqual([400, '']);
    });

    it('stores history entries as {prompt:[5], outputs, status{status_str,completed,messages}, meta}', async () => {
      const promptId = randomUUID();
      await target().client.submitPrompt({
        promptId,
        workflow: emptyToSave(`contract_${TAG}/raw`, nextColor(), 8),
        clientId: CLIENT_ID,
      });
      await waitForRun(target().client, promptId);
      const body = (await (await raw(`/history/${promptId}`)).json()) as Record<
        string,
        Record<string, unknown>
      >;
      const entry = body[promptId] as Record<string, unknown>;
      expect(Object.keys(entry).sort()).toEqual(['meta', 'outputs', 'prompt', 'status']);
      const prompt = entry.prompt as unknown[];
      expect(prompt).toHaveLength(5);
      expect(typeof prompt[0]).toBe('number');
      expect(prompt[1]).toBe(promptId);
      expect(prompt[3]).toEqual({ client_id: CLIENT_ID });
      expect(prompt[4]).toEqual(['2']);
      const status = entry.status as {
        status_str: string;
        completed: boolean;
        messages: [string, Record<string, unknown>][];
      };
      expect(Object.keys(status).sort()).toEqual(['completed', 'messages', 'status_str']);
      expect(status.messages.map(([e]) => e)).toEqual([
        'execution_start',
        'execution_cached',
        'execution_success',
      ]);
      expect(Object.keys(status.messages[0]?.[1] ?? {}).sort()).toEqual(['prompt_id', 'timestamp']);
      expect(entry.meta).toEqual({
        '2': { node_id: '2', display_node: '2', parent_node: null, real_node_id: '2' },
      });
    });
  });
}
