/**
 * ComfyUI custom-node packages as data: each one a git repository at a pinned ref, cloned into
 * ComfyUI's `custom_nodes/` with its Python requirements installed into ComfyUI's virtualenv. The
 * commands are idempotent (an AMI baked after setup re-runs them without downloading anything).
 */
import * as z from 'zod';

export const CustomNodeSpecSchema = z.object({
  /** https:// git URL of the package. */
  repo: z.string().regex(/^https:\/\/[^\s'"\\`$]+$/, 'an https:// git URL'),
  /** Tag, branch or (best) commit to check out. */
  ref: z.string().regex(/^[\w./-]+$/, 'a git ref'),
  /** Folder name under custom_nodes/. @default the repository's name */
  name: z
    .string()
    .regex(/^[\w.-]+$/, 'a plain folder name')
    .optional(),
});
export type CustomNodeSpec = z.infer<typeof CustomNodeSpecSchema>;

/** The folder a package is cloned into. */
export const customNodeFolder = (spec: CustomNodeSpec): string =>
  spec.name ??
  (spec.repo
    .replace(/\/+$/, '')
    .split('/')
    .pop()
    ?.replace(/\.git$/, '') ||
    'custom-node');

/** Bash lines installing every package (run as root by the setup script; files owned by `comfy`). */
export function customNodeCommands(home: string, specs: readonly CustomNodeSpec[]): string[] {
  return specs.flatMap((spec) => {
    const dir = `${home}/app/custom_nodes/${customNodeFolder(spec)}`;
    return [
      `[ -d '${dir}/.git' ] || sudo -H -u comfy git clone '${spec.repo}' '${dir}'`,
      `sudo -H -u comfy git -C '${dir}' fetch --tags origin '${spec.ref}' || true`,
      `sudo -H -u comfy git -C '${dir}' checkout --force '${spec.ref}'`,
      `[ ! -f '${dir}/requirements.txt' ] || sudo -H -u comfy ${home}/venv/bin/pip install -q -r '${dir}/requirements.txt'`,
    ];
  });
}
