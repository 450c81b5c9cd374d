/** Waits for the promises to settle, or at most `graceMs` (undefined = no limit). */
export async function settleWithin(
  promises: Iterable<Promise<unknown>>,
  graceMs?: number,
): Promise<void> {
  const all = Promise.allSettled([...promises]);
  if (graceMs === undefined) {
    await all;
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
  clearTimeout(timer);
}
