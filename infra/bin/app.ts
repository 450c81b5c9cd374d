/**
 * The CDK app (cdk.json: `npx tsx infra/bin/app.ts`). The only place in infra/ that reads context and
 * the environment: every option is parsed by infra/settings.ts and documented in docs/deploy.md.
 */
import { App } from 'aws-cdk-lib';
import { addNagChecks, defineStacks } from '../comfy-serverless-app.js';
import { parseSettings, SETTING_NAMES } from '../settings.js';

const app = new App();
const raw = Object.fromEntries(
  SETTING_NAMES.map((name) => [
    name,
    app.node.tryGetContext(`comfy-serverless:${name}`) ?? app.node.tryGetContext(name),
  ]),
);
defineStacks(app, parseSettings(raw), {
  // Unset without credentials: the stacks are then environment-agnostic and synth works offline.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
addNagChecks(app);
