/**
 * `npm run task -- <command>`: submit, follow, list and cancel tasks on a running stack, local
 * (`npm start`) or deployed. See USAGE in task-cli/args.ts.
 */
import { TaskApiClient } from './task-cli/api-client.js';
import { HelpRequested, parseCliArgs, USAGE, UsageError } from './task-cli/args.js';
import { runCommand } from './task-cli/commands.js';

async function main(): Promise<number> {
  try {
    const args = parseCliArgs(process.argv.slice(2), process.env, process.cwd());
    const client = new TaskApiClient({
      baseUrl: args.apiUrl,
      ...(args.apiKey ? { apiKey: args.apiKey } : {}),
      ...(args.token ? { token: args.token } : {}),
    });
    return await runCommand(client, args, { out: process.stdout, err: process.stderr });
  } catch (err) {
    if (err instanceof HelpRequested) {
      console.log(USAGE);
      return 0;
    }
    if (err instanceof UsageError) {
      if (err.message) {
        console.error(
          `error: ${err.message}\n(npm run task -- --help lists the commands and options)`,
        );
      } else {
        console.error(USAGE);
      }
      return 2;
    }
    throw err;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
