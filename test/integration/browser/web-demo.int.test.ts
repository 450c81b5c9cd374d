/**
 * The web demo in a real browser: Debian's Chromium driven by playwright-core (no browser download),
 * against the local runtime started as `npm start` starts it, on the page that runtime serves at
 * /demo/. The input image of img2img goes from the browser straight to S3 (the local S3 applies the
 * outputs bucket's CORS rule, as deployed). Screenshots land in .local/screenshots/ for a person to
 * look at. `.ci/run` installs Chromium when it is missing; elsewhere the test is skipped, saying why.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, type SpawnedRuntime, spawnLocalRuntime } from '../../helpers/local-runtime.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(REPO_ROOT, '.local', 'screenshots');
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `web demo browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
}

let rt: SpawnedRuntime;
let browser: Browser;
let page: Page;

function png(width: number, height: number): Buffer {
  const img = new PNG({ width, height });
  for (let i = 0; i < img.data.length; i += 4) {
    img.data[i] = 200;
    img.data[i + 1] = (i / 4) % 256;
    img.data[i + 2] = 60;
    img.data[i + 3] = 255;
  }
  return PNG.sync.write(img);
}

async function connect(key: string) {
  await page.goto(`${rt.apiUrl}/demo/`);
  await page.fill('#api-key', key);
  await page.click('#connect');
}

/** Waits for the result image to have really decoded, and returns its natural size. */
async function decodedImage(): Promise<{ width: number; height: number }> {
  // A string: this file is type-checked without the DOM library.
  const handle = await page.waitForFunction(
    `(() => {
      const img = document.querySelector('img.result-image');
      return img && img.complete && img.naturalWidth > 0
        ? { width: img.naturalWidth, height: img.naturalHeight }
        : undefined;
    })()`,
    undefined,
    { timeout: 20_000 },
  );
  return (await handle.jsonValue()) as { width: number; height: number };
}

describe.skipIf(!hasChromium)('web demo in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    [rt, browser] = await Promise.all([
      spawnLocalRuntime({
        args: ['--poller-repeat', '100', '--comfy-execution-ms', '2000', '--quiet'],
        env: { POLL_INTERVAL_MS: '100', LOG_LEVEL: 'WARN' },
        readyTimeoutMs: 90_000,
      }),
      chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await rt?.signal('SIGINT');
  });

  beforeEach(async () => {
    await page?.close();
    page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  });

  it('txt2img: fills the generated form, follows the task and shows an image that decoded', async () => {
    await connect(rt.apiKey());
    await page.waitForSelector('#task-form:not([hidden])');
    expect(await page.inputValue('#template')).toBe('txt2img');
    await page.fill('#param-prompt', 'a lighthouse at dusk');
    await page.fill('#param-width', '96');
    await page.fill('#param-height', '64');
    await page.selectOption('#output-format', 'webp');
    await page.click('#submit');
    await page.waitForSelector('#status[data-status="succeeded"]', { timeout: 40_000 });
    expect(await decodedImage()).toEqual({ width: 96, height: 64 });
    expect(await page.textContent('#result a')).toMatch(
      /\.webp \((\d+ bytes|\d+\.\d KiB), converted from (\d+ bytes|\d+\.\d KiB) image\/png\)/,
    );
    expect(await page.isHidden('#error')).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'web-demo-txt2img.png'), fullPage: true });
  });

  it('img2img: uploads the dropped image from the browser to S3 and shows the result', async () => {
    const puts: { url: string; status: number }[] = [];
    page.on('response', (res) => {
      if (res.request().method() === 'PUT') puts.push({ url: res.url(), status: res.status() });
    });
    await connect(rt.apiKey());
    await page.waitForSelector('#task-form:not([hidden])');
    await page.selectOption('#template', 'img2img');
    await page.setInputFiles('#param-image', {
      name: 'input.png',
      mimeType: 'image/png',
      buffer: png(80, 48),
    });
    await page.fill('#param-prompt', 'as an oil painting');
    await page.click('#submit');
    await page.waitForSelector('#status[data-status="succeeded"]', { timeout: 40_000 });
    const size = await decodedImage();
    expect(size.width).toBeGreaterThan(0);
    // The PUT went cross-origin, from the page's origin to the S3 port, and S3 took it.
    expect(puts).toHaveLength(1);
    expect(new URL(puts[0]?.url as string).port).toBe(String(rt.ports.aws));
    expect(puts[0]?.status).toBe(200);
    await page.screenshot({ path: join(SHOTS, 'web-demo-img2img.png'), fullPage: true });
  });

  it('a wrong key shows a readable error', async () => {
    await connect('csk_not_a_real_key');
    await page.waitForSelector('#error:not([hidden])');
    const text = await page.textContent('#error');
    expect(text).toContain('FORBIDDEN (HTTP 403)');
    expect(text).toContain('API key or token was not accepted');
    expect(await page.isHidden('#task-form')).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'web-demo-wrong-key.png'), fullPage: true });
  });

  it('cancel stops the task and shows it cancelled', async () => {
    await connect(rt.apiKey());
    await page.waitForSelector('#task-form:not([hidden])');
    await page.fill('#param-prompt', 'never finished');
    await page.click('#submit');
    await page.waitForSelector('#cancel:not([disabled])');
    await page.click('#cancel');
    await page.waitForSelector('#status[data-status="cancelled"]', { timeout: 40_000 });
    expect(await page.$('img.result-image')).toBeNull();
    await page.screenshot({ path: join(SHOTS, 'web-demo-cancelled.png'), fullPage: true });
  });

  it('S3 refuses a preflight from an origin the CORS rule does not allow', async () => {
    const preflight = (origin: string) =>
      fetch(`http://127.0.0.1:${rt.ports.aws}/comfy-serverless-outputs/uploads/x`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'PUT' },
      });
    const allowed = await preflight(rt.apiUrl);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(rt.apiUrl);
    const refused = await preflight('https://elsewhere.example');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });
});
