/** Busy time of a worker from the intervals it ran, and the idle gaps between them. */
export interface Interval {
  start: number;
  end: number;
}

export interface Busy {
  /** Summed length of the union of the intervals. */
  busyMs: number;
  /** From the first start to the last end. */
  spanMs: number;
  /** busyMs / spanMs (1 for a single or no interval of zero span). */
  fraction: number;
  /** Idle gaps inside the span, longest first. */
  gapsMs: number[];
}

export function busyTime(intervals: readonly Interval[]): Busy {
  const sorted = [...intervals].filter((i) => i.end >= i.start).sort((a, b) => a.start - b.start);
  const first = sorted[0];
  if (!first) return { busyMs: 0, spanMs: 0, fraction: 1, gapsMs: [] };
  let busyMs = 0;
  const gapsMs: number[] = [];
  let cur = { ...first };
  for (const i of sorted.slice(1)) {
    if (i.start <= cur.end) {
      cur.end = Math.max(cur.end, i.end);
    } else {
      busyMs += cur.end - cur.start;
      gapsMs.push(i.start - cur.end);
      cur = { ...i };
    }
  }
  busyMs += cur.end - cur.start;
  const spanMs = Math.max(...sorted.map((i) => i.end)) - first.start;
  return {
    busyMs,
    spanMs,
    fraction: spanMs > 0 ? busyMs / spanMs : 1,
    gapsMs: gapsMs.sort((a, b) => b - a),
  };
}
