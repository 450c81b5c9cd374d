/** What a node executor gets and returns. Values flowing on links are plain JS objects. */
import type { Img } from '../png.js';
import type { Workflow } from '../state.js';
import type { StandInStorage } from '../storage.js';

/** A latent: the pixel size it decodes to, the seed of its "noise", and an optional source image. */
export interface Latent {
  width: number;
  height: number;
  seed: string;
  /** img2img: the encoded picture; `noise` says how much of the seeded pattern is mixed in. */
  source?: Img;
  noise: number;
}
export interface Mask {
  width: number;
  height: number;
  value: number;
}

export interface WrittenFile {
  filename: string;
  subfolder: string;
  type: string;
  path: string;
  size: number;
  sha256: string;
}

export interface ExecContext {
  promptId: string;
  nodeId: string;
  classType: string;
  prompt: Workflow;
  extraData: Record<string, unknown>;
  storage: StandInStorage;
  /** A stable hash of this node's inputs (links resolved), to seed generated pictures. */
  signature: string;
  /** Spend this node's share of the run time, in `steps` slices with an interrupt check between. */
  work(steps?: number): Promise<void>;
  /** Report a file this node wrote (for the run records). */
  wrote(file: WrittenFile): void;
}

interface NodeResult {
  outputs: unknown[];
  ui?: Record<string, unknown[]>;
}
export type NodeFn = (inputs: Record<string, unknown>, ctx: ExecContext) => Promise<NodeResult>;

/** A runtime failure inside a node: becomes `execution_error` with this type and message. */
export class NodeRuntimeError extends Error {
  constructor(
    message: string,
    readonly exceptionType = 'RuntimeError',
  ) {
    super(message);
  }
}
