/**
 * Each prompt the dispatcher submits carries its owner's tag in ComfyUI's `extra_data`, which
 * `/queue` returns with every item: the queue readings the dispatcher makes anyway then tell how many
 * prompts of one owner ComfyUI holds, at no extra request. The tag is a hash, so the shared server
 * never learns owner names.
 */
import { createHash } from 'node:crypto';

/** The `extra_data` key holding the tag. */
export const OWNER_TAG_KEY = 'comfy_serverless_owner';

export const ownerTag = (owner: string): string =>
  createHash('sha256').update(owner).digest('hex').slice(0, 16);
