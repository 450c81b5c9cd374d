/**
 * Run the stand-in as a process:
 *   tsx infra/local/comfy-standin/cli.ts --port 8188 [--host 127.0.0.1] [--data-dir DIR]
 *     [--execution-ms 500] [--jobs-api] [--no-cache] [--max-history N]
 * Control it over HTTP under /__standin/* (see control-routes.ts and docs/comfyui-standin.md).
 */
import { parseArgs } from 'node:util';
import { startComfyStandIn } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8188' },
    host: { type: 'string', default: '127.0.0.1' },
    'data-dir': { type: 'string' },
    'execution-ms': { type: 'string', default: '500' },
    'jobs-api': { type: 'boolean', default: false },
    'no-cache': { type: 'boolean', default: false },
    'max-history': { type: 'string', default: '10000' },
  },
});

const standIn = await startComfyStandIn({
  port: Number(values.port),
  host: values.host,
  ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
  executionMs: Number(values['execution-ms']),
  jobsApi: values['jobs-api'],
  cache: !values['no-cache'],
  maxHistory: Number(values['max-history']),
  log: (message, data) => process.stderr.write(`${JSON.stringify({ message, ...data })}\n`),
});
process.stdout.write(`comfy stand-in listening on ${standIn.url}\n`);
const shutdown = () => {
  standIn.stop().then(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
