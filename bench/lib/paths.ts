import { resolve } from 'node:path';

/** The repository root (bench/ lives directly under it). */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const RESULTS_DIR = resolve(REPO_ROOT, 'bench', 'results');
