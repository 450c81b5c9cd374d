/** How a worker talks to run.ts. */

/** Each figure: one line on stdout, this prefix, then the figure as JSON. */
export const FIGURE_PREFIX = '@figure ';

/** Progress for people: lines on stderr starting with this (the functions' own logs do not). */
export const PROGRESS_PREFIX = '  [bench:';
