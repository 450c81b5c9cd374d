/**
 * What `npm start` prints once it is ready: where everything listens, the API key, and a
 * copy-paste quickstart. The README's "Quick start" shows the same script for the default ports
 * (a unit test keeps the two identical, and the end-to-end test runs it).
 */
import { dirname, join, relative } from 'node:path';
import type { StartOptions } from './options.js';
import type { LocalRuntime } from './runtime.js';

const DEFAULT_API_URL = 'http://127.0.0.1:3000';
const DEFAULT_KEY_FILE = '.local/api-key';

/**
 * The quickstart as a bash/zsh script: submit a txt2img task, poll it, download the image. Its files
 * (`task.json`, `result.png`) go next to the key file, in the git-ignored state folder.
 */
export function quickstartScript(apiUrl = DEFAULT_API_URL, keyFile = DEFAULT_KEY_FILE): string {
  const dir = dirname(keyFile);
  return `API=${apiUrl}
KEY=$(cat ${keyFile})
json() { node -pe "JSON.parse(require('fs').readFileSync(0, 'utf8'))$1"; }

# Submit a txt2img task: 202 {"taskId": ..., "status": "queued"}
TASK=$(curl -s -X POST $API/v1/tasks -H "x-api-key: $KEY" -H 'content-type: application/json' \\
  -d '{"template": "txt2img", "params": {"prompt": "a lighthouse at dusk"}}' | json .taskId)

# Poll it until it is finished: queued -> dispatched -> running -> succeeded
until curl -s $API/v1/tasks/$TASK -H "x-api-key: $KEY" > ${dir}/task.json &&
  json .status < ${dir}/task.json | grep -Evx 'queued|dispatched|running'; do sleep 1; done

# Download the image from its S3 link
curl -s -o ${dir}/result.png "$(json '.outputs[0].url' < ${dir}/task.json)"
`;
}

function cliLine(outDir = '.local/results'): string {
  return `npm run task -- submit --template txt2img --param prompt="a lighthouse at dusk" --wait --out ${outDir}`;
}

export function banner(
  rt: LocalRuntime,
  opts: StartOptions,
  keyFile: string,
  readyMs: number,
): string {
  const cwd = process.cwd();
  const rel = (p: string) => (relative(cwd, p).startsWith('..') ? p : relative(cwd, p));
  const state = opts.dataDir
    ? `persisted in ${rel(opts.dataDir)} (DynamoDB continuously; S3 objects and queue messages on a clean stop)`
    : 'in memory: a fresh start every time (--persist keeps it)';
  const lines = [
    '',
    `comfy-serverless is running locally (ready in ${(readyMs / 1000).toFixed(1)} s: ${Object.entries(
      rt.timings,
    )
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
      .join(', ')})`,
    '',
    `  API            ${rt.apiUrl}   API Gateway HTTP API (payload 2.0) -> functions/*`,
    `  Web demo       ${rt.apiUrl}/demo/   paste the API key, pick a template, generate`,
    `  ComfyUI        ${rt.comfy.url}   ${rt.comfy.standIn ? `stand-in, ${opts.comfyExecutionMs} ms a run (COMFYUI_URL=... uses a real server)` : 'real server (COMFYUI_URL)'}`,
    `  DynamoDB Local ${rt.dynamodbEndpoint}   tables ${rt.names.tasksTable}, ${rt.names.apiKeysTable}`,
    `  S3 + SQS       ${rt.s3SqsEndpoint}   fauxqs: bucket ${rt.names.bucket} (CORS as deployed), queues dispatch, webhooks + their dead-letter queues`,
    `  Dispatcher     SQS event source on the dispatch queue (batches of 10, 2 at a time)`,
    `  Dead letters   SQS event source on the dead-letter queue`,
    `  Webhooks       SQS event source on the webhook queue; http receivers on 127.0.0.1 allowed (signing secret in .local/webhook-secret)`,
    `  Poller         every minute, and ${opts.pollerRepeatMs} ms after each run returns`,
    `  State          ${state}`,
  ];
  if (rt.restored) {
    lines.push(
      `                 restored ${rt.restored.objects} S3 objects, ${rt.restored.messages} queue messages`,
    );
  }
  if (rt.missing.length) {
    lines.push(
      '',
      `  Missing (not running): ${rt.missing.map((m) => `functions/${m}`).join(', ')}`,
    );
  }
  if (rt.apiKey) {
    lines.push(
      '',
      rt.keptKey
        ? `API key (the same as at the last start, kept with the persisted state; in ${rel(keyFile)}):`
        : `API key (shown once; also in ${rel(keyFile)}):`,
      `  ${rt.apiKey}`,
    );
  } else {
    lines.push('', 'AUTH_MODE=jwt: send "Authorization: Bearer <token>" from your issuer.');
  }
  const keyPath = rel(keyFile);
  lines.push(
    '',
    'Try it (bash or zsh, from this folder):',
    '',
    ...quickstartScript(rt.apiUrl, keyPath)
      .trimEnd()
      .split('\n')
      .map((l) => (l ? `  ${l}` : '')),
    '',
    'Or with the CLI:',
    `  ${cliLine(join(dirname(keyPath), 'results'))}`,
    '',
    'Ctrl-C stops everything.',
    '',
  );
  return lines.join('\n');
}
