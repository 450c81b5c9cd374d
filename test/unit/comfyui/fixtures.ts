/** Loads the ComfyUI captures in test/fixtures/comfy. */
import { readFileSync } from 'node:fs';

export const fixture = <T = unknown>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../fixtures/comfy/${name}`, import.meta.url), 'utf8')) as T;
