/** How a worker hands figures to run.ts: one line per figure on stdout, after this prefix. */
export const FIGURE_PREFIX = '@figure ';
