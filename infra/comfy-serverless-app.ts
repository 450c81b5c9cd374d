/**
 * The product's stacks, wired together. infra/bin/app.ts calls this with the parsed context; the
 * infra tests call it with test settings, so both build exactly the same tree.
 */
import { type Environment, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import type { DeploySettings } from './settings.js';
import { StatefulStack } from './stacks/stateful-stack.js';

export interface ComfyServerlessStacks {
  readonly stateful: StatefulStack;
}

export function defineStacks(
  scope: Construct,
  settings: DeploySettings,
  env: Environment = {},
): ComfyServerlessStacks {
  const stateful = new StatefulStack(scope, `${settings.stackPrefix}-Stateful`, {
    env,
    description: 'comfy-serverless: tasks table, API keys table, outputs bucket (retained)',
    corsOrigins: settings.corsOrigins,
  });
  return { stateful };
}

/** cdk-nag's AwsSolutions pack: any unacknowledged finding fails the synth. */
export function addNagChecks(app: Construct): AwsSolutionsChecks {
  const pack = new AwsSolutionsChecks(app, { verbose: true });
  Validations.of(app).addPlugins(pack);
  return pack;
}
