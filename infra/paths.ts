/**
 * Where the CDK app finds the code it bundles. Paths are derived from this file's location, not from
 * the working directory, so synth works from any folder (and in tests).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (holds package.json and package-lock.json). */
export const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The npm lock file esbuild bundling is keyed on. */
export const LOCK_FILE = join(PROJECT_ROOT, 'package-lock.json');

/** The entry of the function in `functions/<name>/index.ts`. */
export const functionEntry = (name: string) => join(PROJECT_ROOT, 'functions', name, 'index.ts');
