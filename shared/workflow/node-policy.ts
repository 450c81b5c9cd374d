/**
 * Which node classes a workflow may use. Deny-list mode (the default) refuses the classes below and
 * every class whose name says it trains, saves models, fetches URLs or reads server folders by
 * path; allow-list mode accepts exactly the classes the operator lists. See docs/security.md.
 */

/**
 * ComfyUI's own nodes (v0.3.64) denied by default, each with the reason a refusal gives.
 */
const DEFAULT_DENIED_NODES: Readonly<Record<string, string>> = {
  SaveLoRANode: 'writes a LoRA into a model folder other tenants load from',
  TrainLoraNode: 'trains a model (holds the GPU; its output is a model file)',
  LoraSave: 'writes a LoRA into a model folder other tenants load from',
  CheckpointSave: 'writes a checkpoint into a model folder',
  ImageOnlyCheckpointSave: 'writes a checkpoint into a model folder',
  CLIPSave: 'writes a model file into a model folder',
  VAESave: 'writes a model file into a model folder',
  ModelSave: 'writes a model file into a model folder',
  LoadImageOutput: "reads files from the server's output folder by name (other tenants' outputs)",
  LoadImageSetFromFolderNode: 'reads a server folder by name',
  LoadImageTextSetFromFolderNode: 'reads a server folder by name',
  Preview3D: 'reads a server file by name',
  Preview3DAnimation: 'reads a server file by name',
};

/** Class names denied by default whatever package they come from (custom nodes included). */
const DENIED_PATTERNS: readonly { re: RegExp; reason: string }[] = [
  { re: /url|http|download|fetch|webhook|request/i, reason: 'fetches from the network' },
  {
    re: /path|folder|directory|fromdir|dirloader/i,
    reason: 'reads a server folder or path by name',
  },
  { re: /train/i, reason: 'trains a model' },
  {
    re: /(save|export|write).*(checkpoint|model|lora|clip|vae|unet|embedding|hypernetwork)|(checkpoint|model|lora|clip|vae|unet)(save|export|writer)/i,
    reason: 'writes a model file',
  },
];

export interface NodePolicy {
  mode: 'deny' | 'allow';
  /** Deny mode: classes denied besides the defaults. Allow mode: unused. */
  deny: ReadonlySet<string>;
  /** Allow mode: the only classes accepted. Deny mode: classes exempt from the default denials. */
  allow: ReadonlySet<string>;
}

export const DEFAULT_NODE_POLICY: NodePolicy = { mode: 'deny', deny: new Set(), allow: new Set() };

/** Why `classType` is refused under `policy`, or undefined when it is accepted. */
export function nodeClassProblem(policy: NodePolicy, classType: string): string | undefined {
  if (policy.mode === 'allow') {
    return policy.allow.has(classType)
      ? undefined
      : "is not on this deployment's list of allowed nodes";
  }
  if (policy.deny.has(classType)) return "is denied by this deployment's node policy";
  if (policy.allow.has(classType)) return undefined;
  const reason =
    DEFAULT_DENIED_NODES[classType] ?? DENIED_PATTERNS.find((p) => p.re.test(classType))?.reason;
  return reason ? `is denied by default: it ${reason}` : undefined;
}
