import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanupScript,
  comfySetupCommands,
  EXTENSION_DIR,
} from '../../infra/constructs/comfy-setup-script.js';
import { DEFAULT_MODELS } from '../../infra/settings.js';

const dir = mkdtempSync(join(tmpdir(), 'comfy-setup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('comfySetupCommands', () => {
  it('is a valid bash script', () => {
    const script = join(dir, 'user-data.sh');
    const commands = comfySetupCommands({
      comfyuiRef: "v0.3.64-it's",
      models: [
        ...DEFAULT_MODELS,
        { url: 's3://my-models/a/b.safetensors', folder: 'loras', filename: 'b.safetensors' },
      ],
      port: 8188,
      torchIndexUrl: 'https://download.pytorch.org/whl/cu128',
      cleanupAfterHours: 24,
    });
    writeFileSync(script, ['#!/bin/bash', ...commands].join('\n'));
    expect(() => execFileSync('bash', ['-n', script], { stdio: 'pipe' })).not.toThrow();
  });

  it("fits EC2's 16 KB user-data limit with room for an operator's models and custom nodes", () => {
    // The instance and each fleet server boot from this script (the extension's source included);
    // EC2 refuses user data over 16 KB before base64, which only a deploy would otherwise show.
    const script = [
      '#!/bin/bash',
      ...comfySetupCommands({
        comfyuiRef: 'v0.3.64',
        models: DEFAULT_MODELS,
        port: 8188,
        torchIndexUrl: 'https://download.pytorch.org/whl/cu128',
        cleanupAfterHours: 24,
      }),
    ].join('\n');
    const bytes = Buffer.byteLength(script, 'utf8');
    console.log(`setup script: ${bytes} bytes of EC2's 16384`);
    expect(bytes).toBeLessThan(16_384 - 2_048);
  });
});

describe('the cleanup timer script', () => {
  it('deletes files older than the limit from output, input and temp, and nothing else', () => {
    const data = join(dir, 'data');
    const twoDaysAgo = Date.now() / 1000 - 2 * 24 * 3600;
    const file = (path: string, old: boolean) => {
      const full = join(data, path);
      mkdirSync(join(full, '..'), { recursive: true });
      writeFileSync(full, 'x');
      if (old) utimesSync(full, twoDaysAgo, twoDaysAgo);
      return full;
    };
    const oldOutput = file('output/job/ComfyUI_00001_.png', true);
    const newOutput = file('output/ComfyUI_00002_.png', false);
    const oldInput = file('input/upload.png', true);
    const oldTemp = file('temp/preview.png', true);
    const model = file('models/checkpoints/sd.safetensors', true);
    const script = join(dir, 'cleanup.sh');
    writeFileSync(script, cleanupScript(24));

    const extension = join(dir, 'comfy_serverless-init.py');
    writeFileSync(extension, '# installed');
    execFileSync('sh', [script], {
      env: { ...process.env, COMFYUI_DATA: data, COMFYUI_EXTENSION: extension },
      stdio: 'pipe',
    });

    expect(existsSync(oldOutput)).toBe(false);
    expect(existsSync(oldInput)).toBe(false);
    expect(existsSync(oldTemp)).toBe(false);
    expect(existsSync(newOutput)).toBe(true);
    expect(existsSync(model)).toBe(true);
    expect(existsSync(join(data, 'output'))).toBe(true);
  });
});

describe('the file-cleanup extension', () => {
  const commands = comfySetupCommands({
    comfyuiRef: 'v0.3.64',
    models: DEFAULT_MODELS,
    port: 8188,
    torchIndexUrl: 'https://download.pytorch.org/whl/cu128',
    cleanupAfterHours: 24,
  }).join('\n');

  it('is installed into custom_nodes by the setup script, after the checkout', () => {
    const at = commands.indexOf(`cat > '${EXTENSION_DIR}/__init__.py'`);
    expect(at).toBeGreaterThan(commands.indexOf('git -C /opt/comfyui/app checkout'));
    expect(commands).toContain('@PromptServer.instance.routes.post(ROUTE)');
    expect(commands).toContain('ROUTE = "/comfy-serverless/delete"');
  });

  it('without it, the timer removes files after minutes, not hours', () => {
    const data = join(dir, 'data-no-ext');
    const hourAgo = Date.now() / 1000 - 3600;
    const old = join(data, 'output', 'task', 'x.png');
    const fresh = join(data, 'input', 'task', 'y.png');
    mkdirSync(join(old, '..'), { recursive: true });
    mkdirSync(join(fresh, '..'), { recursive: true });
    writeFileSync(old, 'x');
    writeFileSync(fresh, 'y');
    utimesSync(old, hourAgo, hourAgo);
    const script = join(dir, 'cleanup-no-ext.sh');
    writeFileSync(script, cleanupScript(24, 45));
    execFileSync('sh', [script], {
      env: { ...process.env, COMFYUI_DATA: data, COMFYUI_EXTENSION: join(dir, 'absent.py') },
      stdio: 'pipe',
    });
    expect(existsSync(old)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
  });
});
