/**
 * How `--wait` shows a task's progress. On a terminal: one bar redrawn in place, through the
 * phases queue (with the position at ComfyUI), running, and copying the outputs down. Otherwise
 * (pipes, CI logs): one plain line per change.
 */
import type { TaskView } from '../../shared/http/schemas.js';

export interface Progress {
  task(task: TaskView): void;
  copying(files: number, totalFiles: number, bytes: number, totalBytes: number): void;
  /** A permanent line (the bar, if any, is cleared first). */
  line(text: string): void;
  end(): void;
}

const WIDTH = 24;
const REDRAW_MS = 100;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/**
 * Where a status sits on the bar (0..1) and how it reads; `plain` is the text for line output, which
 * moves in 10 % steps while running so a log gets a handful of lines, not one per sampler step.
 */
export function describe(task: TaskView): { at: number; text: string; plain?: string } {
  switch (task.status) {
    case 'queued':
      return { at: 0.05, text: 'queued' };
    case 'dispatched':
      return {
        at: 0.2,
        text:
          task.queuePosition === undefined
            ? 'waiting at ComfyUI'
            : `waiting at ComfyUI, queue position ${task.queuePosition + 1}`,
      };
    case 'running': {
      const p = task.progress;
      if (!p) return { at: 0.45, text: 'running' };
      const pct = Math.floor(p.fraction * 100);
      const where = [p.nodeType, p.step !== undefined && p.steps ? `${p.step}/${p.steps}` : '']
        .filter(Boolean)
        .join(' ');
      return {
        at: 0.2 + 0.5 * p.fraction,
        text: `running ${pct}%${where ? ` (${where})` : ''}`,
        plain: `running ${Math.floor(pct / 10) * 10}%`,
      };
    }
    default:
      return { at: 0.7, text: task.status };
  }
}

export function bar(fraction: number): string {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * WIDTH);
  return `[${'#'.repeat(full)}${'-'.repeat(WIDTH - full)}]`;
}

export function createProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  started = Date.now(),
): Progress {
  const tty = stream.isTTY === true;
  let last = '';
  let drawn = false;
  let copiedFiles = -1;
  let redrawnAt = 0;
  const secs = () => `${Math.round((Date.now() - started) / 1000)}s`;
  const draw = (fraction: number, text: string) => {
    stream.write(`\r\x1b[2K${bar(fraction)} ${text} (${secs()})`);
    drawn = true;
  };
  const clear = () => {
    if (drawn) stream.write('\r\x1b[2K');
    drawn = false;
  };
  return {
    task(task) {
      const { at, text, plain = text } = describe(task);
      if (tty) draw(at, text);
      else if (plain !== last) stream.write(`${task.taskId} ${plain}\n`);
      last = tty ? text : plain;
    },
    copying(files, totalFiles, bytes, totalBytes) {
      const text = `copying outputs ${files}/${totalFiles} (${mb(bytes)} of ${mb(totalBytes)})`;
      const fraction =
        0.7 + 0.3 * (totalBytes ? bytes / totalBytes : files / Math.max(1, totalFiles));
      // A line (or, on a terminal, a redraw at most every REDRAW_MS) per file, not per chunk: a
      // 1 GB output arrives in thousands of chunks.
      const now = Date.now();
      if (tty) {
        if (files !== copiedFiles || now - redrawnAt >= REDRAW_MS) {
          draw(fraction, text);
          redrawnAt = now;
        }
      } else if (files !== copiedFiles) {
        stream.write(`${text}\n`);
      }
      copiedFiles = files;
      last = text;
    },
    line(text) {
      clear();
      stream.write(`${text}\n`);
    },
    end() {
      clear();
    },
  };
}
