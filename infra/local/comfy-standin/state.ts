/**
 * ComfyUI's in-memory state: the prompt queue (a binary min-heap on (number, prompt_id) like Python's
 * heapq; `/queue` returns the raw heap array, not sorted), the running item, and the history (insertion
 * ordered, capped: the oldest entry is dropped once it holds more than `maxHistory`). All of it is lost
 * on restart, like the real process.
 */
export type Workflow = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

/** `[number, prompt_id, prompt, extra_data, outputs_to_execute]` */
export type QueueItem = [number, string, Workflow, Record<string, unknown>, string[]];

export interface HistoryEntry {
  prompt: QueueItem;
  outputs: Record<string, Record<string, unknown[]>>;
  status: {
    status_str: 'success' | 'error';
    completed: boolean;
    messages: [string, Record<string, unknown>][];
  };
  meta: Record<
    string,
    { node_id: string; display_node: string; parent_node: null; real_node_id: string }
  >;
}

const less = (a: QueueItem, b: QueueItem) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

export class PromptHeap {
  readonly items: QueueItem[] = [];

  get size(): number {
    return this.items.length;
  }

  push(item: QueueItem): void {
    const h = this.items;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(h[i] as QueueItem, h[parent] as QueueItem)) break;
      [h[i], h[parent]] = [h[parent] as QueueItem, h[i] as QueueItem];
      i = parent;
    }
  }

  pop(): QueueItem | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  /** Remove the first item whose prompt id matches (POST /queue delete); true if one was removed. */
  deleteFirst(promptId: string): boolean {
    const i = this.items.findIndex((it) => it[1] === promptId);
    if (i < 0) return false;
    const last = this.items.pop() as QueueItem;
    if (i < this.items.length) {
      this.items[i] = last;
      this.heapify();
    }
    return true;
  }

  clear(): void {
    this.items.length = 0;
  }

  private heapify(): void {
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private siftDown(start: number): void {
    const h = this.items;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && less(h[l] as QueueItem, h[m] as QueueItem)) m = l;
      if (r < h.length && less(h[r] as QueueItem, h[m] as QueueItem)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m] as QueueItem, h[i] as QueueItem];
      i = m;
    }
  }
}

export class History {
  private readonly entries = new Map<string, HistoryEntry>();
  constructor(private readonly max: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** `task_done`: drop the oldest when over the cap, then insert (a duplicate id keeps its old slot). */
  add(promptId: string, entry: HistoryEntry): void {
    if (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(promptId, entry);
  }

  get(promptId: string): HistoryEntry | undefined {
    return this.entries.get(promptId);
  }

  /** `get_history(max_items, offset)` exactly as server.py computes it. */
  list(maxItems?: number, offset = -1): Record<string, HistoryEntry> {
    const out: Record<string, HistoryEntry> = {};
    let start = offset;
    if (start < 0 && maxItems !== undefined) start = this.entries.size - maxItems;
    let i = 0;
    let n = 0;
    for (const [k, v] of this.entries) {
      if (i >= start) {
        out[k] = v;
        n++;
        if (maxItems !== undefined && n >= maxItems) break;
      }
      i++;
    }
    return out;
  }

  delete(promptId: string): void {
    this.entries.delete(promptId);
  }

  clear(): void {
    this.entries.clear();
  }
}
