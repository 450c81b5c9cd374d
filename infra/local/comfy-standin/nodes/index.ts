/** Every node class the stand-in can execute. */
import { imageNodes } from './image.js';
import { saveNodes } from './save.js';
import { sdNodes } from './sd.js';
import type { NodeFn } from './types.js';

export const NODE_EXECUTORS: Record<string, NodeFn> = { ...imageNodes, ...sdNodes, ...saveNodes };
export { type ExecContext, NodeRuntimeError, type WrittenFile } from './types.js';
