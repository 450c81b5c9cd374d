/**
 * The first-boot script of the ComfyUI instance (Ubuntu 24.04 Deep Learning Base AMI, NVIDIA driver
 * and CUDA preinstalled). It installs ComfyUI at a pinned git ref in a virtualenv with a CUDA build of
 * PyTorch, downloads the configured models, and installs three systemd units:
 *
 * - `comfyui.service`: ComfyUI on the instance's private address (never 0.0.0.0), restarted on exit;
 * - `comfyui-cleanup.timer`: every 10 minutes, deletes files older than N hours from output/,
 *   input/, temp/ (the poller has long copied outputs to S3 by then). It is the backstop: the poller
 *   removes each task's files as soon as the task ends, through the project's ComfyUI extension
 *   (`custom_nodes/comfy_serverless`, installed here). Without the extension the age limit drops
 *   to minutes;
 * - `comfyui-fetch-models`: a command (also run at setup) that downloads the models listed in
 *   /etc/comfyui/models.tsv which are not on disk yet, from https:// or s3:// URLs.
 *
 * Every step is idempotent: on an AMI baked from a set-up instance nothing is downloaded again, so
 * such an AMI boots without internet access. Progress goes to /var/log/comfyui-setup.log.
 */

import { readFileSync } from 'node:fs';
import type { ModelSpec } from '../settings.js';
import { type CustomNodeSpec, customNodeCommands } from './comfy-custom-nodes.js';

export interface ComfySetupOptions {
  /** Git tag, branch or commit of Comfy-Org/ComfyUI. */
  readonly comfyuiRef: string;
  readonly models: readonly ModelSpec[];
  readonly port: number;
  /** pip index with the CUDA build of torch. */
  readonly torchIndexUrl: string;
  /** Files in output/, input/ and temp/ older than this are deleted. */
  readonly cleanupAfterHours: number;
  /** Custom-node packages installed into ComfyUI's custom_nodes/. @default none */
  readonly customNodes?: readonly CustomNodeSpec[];
  /**
   * The age limit when the file-cleanup extension is not installed: longer than a run can take
   * (RUN_TIMEOUT_SECONDS) plus its wait in ComfyUI's queue, or a running task loses its files.
   * @default 45
   */
  readonly cleanupWithoutExtensionMinutes?: number;
}

/** Where the project's ComfyUI extension is installed (one custom-node package). */
export const EXTENSION_DIR = '/opt/comfyui/app/custom_nodes/comfy_serverless';
const EXTENSION_SOURCE = readFileSync(
  new URL('../comfyui-extension/comfy_serverless/__init__.py', import.meta.url),
  'utf8',
);

const COMFY_HOME = '/opt/comfyui';
const COMFY_REPO = 'https://github.com/Comfy-Org/ComfyUI.git';

/** Single-quote a value for bash. */
const shq = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/** A file written by a quoted heredoc (no expansion inside). */
function writeFile(path: string, content: string, mode = '0644'): string[] {
  return [
    `install -d -m 0755 "$(dirname ${shq(path)})"`,
    `cat > ${shq(path)} <<'__COMFY_EOF__'`,
    content.trimEnd(),
    '__COMFY_EOF__',
    `chmod ${mode} ${shq(path)}`,
  ];
}

const PRIVATE_IP_SCRIPT = `#!/bin/sh
# The instance's private IPv4 address, from the instance metadata service (IMDSv2).
set -eu
token=$(curl -sSf -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')
curl -sSf -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/local-ipv4
`;

const FETCH_MODELS_SCRIPT = `#!/bin/bash
# Download every model listed in /etc/comfyui/models.tsv (folder<TAB>file name<TAB>URL) that is not
# on disk yet. https:// URLs go through curl, s3:// URLs through the AWS CLI or boto3 (instance role).
set -euo pipefail
models=${COMFY_HOME}/data/models
while IFS=$'\\t' read -r folder name url; do
  [ -z "\${folder:-}" ] && continue
  case "$folder" in \\#*) continue ;; esac
  target="$models/$folder/$name"
  [ -s "$target" ] && continue
  install -d -o comfy -g comfy "$models/$folder"
  part="$target.part"
  echo "fetching $folder/$name"
  case "$url" in
    s3://*)
      if command -v aws >/dev/null 2>&1; then aws s3 cp --only-show-errors "$url" "$part"
      else python3 -c 'import sys,boto3; b,k=sys.argv[1][5:].split("/",1); boto3.client("s3").download_file(b,k,sys.argv[2])' "$url" "$part"; fi ;;
    *) curl -fL --retry 5 --retry-delay 15 --retry-all-errors -sS -o "$part" "$url" ;;
  esac
  chown comfy:comfy "$part"
  mv "$part" "$target"
done < /etc/comfyui/models.tsv
`;

/**
 * Deletes files older than `hours`, or `minutesWithoutExtension` when the file-cleanup extension is
 * not installed (COMFYUI_DATA and COMFYUI_EXTENSION override the data folder and the extension's
 * path, for tests).
 */
export function cleanupScript(hours: number, minutesWithoutExtension = 45) {
  return `#!/bin/sh
# Delete old files from ComfyUI's output, input and temp folders (outputs are in S3). The poller
# removes each task's files when it ends, through the comfy_serverless extension; this is the
# backstop: files older than ${hours} h, or ${minutesWithoutExtension} min when the extension is missing.
set -eu
data=\${COMFYUI_DATA:-${COMFY_HOME}/data}
extension=\${COMFYUI_EXTENSION:-${EXTENSION_DIR}/__init__.py}
if [ -f "$extension" ]; then age=${hours * 60}; else age=${minutesWithoutExtension}; fi
for dir in "$data/output" "$data/input" "$data/temp"; do
  [ -d "$dir" ] || continue
  find "$dir" -mindepth 1 -type f -mmin +$age -delete
  find "$dir" -mindepth 1 -type d -empty -mmin +$age -delete
done
`;
}

function serviceUnit(port: number) {
  return `[Unit]
Description=ComfyUI (comfy-serverless)
After=network-online.target
Wants=network-online.target

[Service]
User=comfy
Group=comfy
WorkingDirectory=${COMFY_HOME}/app
# Listen on the private address only: the security group admits the dispatcher and poller on it.
ExecStart=/bin/sh -c 'exec ${COMFY_HOME}/venv/bin/python main.py --listen "$(/usr/local/bin/comfyui-private-ip)" --port ${port} --base-directory ${COMFY_HOME}/data'
Restart=always
RestartSec=5
NoNewPrivileges=true
ProtectSystem=full
ProtectHome=true
PrivateTmp=true

[Install]
WantedBy=multi-user.target
`;
}

const CLEANUP_UNIT = `[Unit]
Description=Remove old ComfyUI output, input and temp files

[Service]
Type=oneshot
User=comfy
ExecStart=/usr/local/bin/comfyui-cleanup
`;

const CLEANUP_TIMER = `[Unit]
Description=Cleanup of old ComfyUI output, input and temp files, every 10 minutes

[Timer]
OnCalendar=*:0/10
RandomizedDelaySec=1min
Persistent=true

[Install]
WantedBy=timers.target
`;

/** The bash commands of the user data (cloud-init runs them as root on the first boot). */
export function comfySetupCommands(opts: ComfySetupOptions): string[] {
  const models = opts.models.map((m) => `${m.folder}\t${m.filename}\t${m.url}`).join('\n');
  const marker = `${COMFY_HOME}/.installed-${opts.comfyuiRef.replace(/[^\w.-]/g, '_')}`;
  return [
    'set -euo pipefail',
    'exec > >(tee -a /var/log/comfyui-setup.log) 2>&1',
    'echo "comfyui setup started $(date -Is)"',
    `id comfy >/dev/null 2>&1 || useradd --system --home-dir ${COMFY_HOME} --shell /usr/sbin/nologin comfy`,
    `install -d -o comfy -g comfy ${COMFY_HOME} ${COMFY_HOME}/data`,
    ...writeFile('/usr/local/bin/comfyui-private-ip', PRIVATE_IP_SCRIPT, '0755'),
    ...writeFile('/usr/local/bin/comfyui-fetch-models', FETCH_MODELS_SCRIPT, '0755'),
    ...writeFile(
      '/usr/local/bin/comfyui-cleanup',
      cleanupScript(opts.cleanupAfterHours, opts.cleanupWithoutExtensionMinutes),
      '0755',
    ),
    ...writeFile('/etc/comfyui/models.tsv', `# folder\tfile\turl\n${models}\n`),
    ...writeFile('/etc/systemd/system/comfyui.service', serviceUnit(opts.port)),
    ...writeFile('/etc/systemd/system/comfyui-cleanup.service', CLEANUP_UNIT),
    ...writeFile('/etc/systemd/system/comfyui-cleanup.timer', CLEANUP_TIMER),
    `if [ ! -f ${shq(marker)} ]; then`,
    '  export DEBIAN_FRONTEND=noninteractive',
    // The AMI's unattended upgrades hold the dpkg lock for a while after the first boot.
    '  apt-get -o DPkg::Lock::Timeout=900 update -q',
    '  apt-get -o DPkg::Lock::Timeout=900 install -y -q git python3-venv curl',
    `  [ -d ${COMFY_HOME}/app/.git ] || sudo -H -u comfy git clone ${COMFY_REPO} ${COMFY_HOME}/app`,
    `  sudo -H -u comfy git -C ${COMFY_HOME}/app fetch --tags origin`,
    `  sudo -H -u comfy git -C ${COMFY_HOME}/app checkout --force ${shq(opts.comfyuiRef)}`,
    `  [ -x ${COMFY_HOME}/venv/bin/python ] || sudo -H -u comfy python3 -m venv ${COMFY_HOME}/venv`,
    `  sudo -H -u comfy ${COMFY_HOME}/venv/bin/pip install -q --upgrade pip`,
    `  sudo -H -u comfy ${COMFY_HOME}/venv/bin/pip install -q torch torchvision torchaudio --index-url ${shq(opts.torchIndexUrl)}`,
    `  sudo -H -u comfy ${COMFY_HOME}/venv/bin/pip install -q -r ${COMFY_HOME}/app/requirements.txt`,
    `  touch ${shq(marker)}`,
    'fi',
    ...customNodeCommands(COMFY_HOME, opts.customNodes ?? []),
    // The file-cleanup extension (one route, no nodes), rewritten at every boot so an AMI baked
    // from an older version gets the current one.
    ...writeFile(`${EXTENSION_DIR}/__init__.py`, EXTENSION_SOURCE),
    `chown -R comfy:comfy ${EXTENSION_DIR}`,
    '/usr/local/bin/comfyui-fetch-models',
    'systemctl daemon-reload',
    'systemctl enable --now comfyui.service comfyui-cleanup.timer',
    'echo "comfyui setup finished $(date -Is)"',
  ];
}
