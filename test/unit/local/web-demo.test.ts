import { describe, expect, it } from 'vitest';
import { buildWebDemo } from '../../../infra/local/web-demo.js';
import { REPO_ROOT } from '../../helpers/local-runtime.js';

describe('the web demo build', () => {
  it('is three static files for any static host: the page, its styles, one browser bundle', async () => {
    const site = await buildWebDemo(REPO_ROOT);
    expect([...site.keys()].sort()).toEqual(['app.js', 'index.html', 'style.css']);
    const html = site.get('index.html')?.body.toString() ?? '';
    expect(html).toContain('<script type="module" src="app.js">');
    expect(html).toContain('href="style.css"');
    const js = site.get('app.js')?.body.toString() ?? '';
    // The client is bundled in, and nothing that only Node has.
    expect(js).toContain('idempotency-key');
    expect(js).not.toMatch(/\bfrom\s*["']node:|require\(["']/);
    expect(site.get('app.js')?.contentType).toMatch(/^text\/javascript/);
  });
});
