/**
 * Apps for the infra tests: the context of cdk.json (the same feature flags as `cdk synth`), with
 * asset bundling skipped so a test builds a stack in milliseconds instead of running esbuild.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { defineStacks } from '../../../infra/comfy-serverless-app.js';
import { checkAwsSolutions } from '../../../infra/nag.js';
import { PROJECT_ROOT } from '../../../infra/paths.js';
import { type DeploySettings, parseSettings } from '../../../infra/settings.js';

function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8'));
  return cdkJson.context ?? {};
}

export function testApp(extraContext: Record<string, unknown> = {}): App {
  return new App({
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...extraContext },
    // CDK's template linter takes ~15 s per synth here; the app synth test runs it.
    builtinCloudFormationValidation: false,
  });
}

export function testSettings(overrides: Record<string, unknown> = {}): DeploySettings {
  return parseSettings({ corsOrigins: 'https://app.example.com', ...overrides });
}

/**
 * cdk-nag AwsSolutions findings that are not acknowledged in the code. Call after synthesis
 * (`Template.fromStack`): cross-stack references are resolved then, as in `cdk synth`.
 */
export function nagFindings(scope: IConstruct) {
  const report = checkAwsSolutions(scope);
  return report.violations.map((v) => ({
    rule: v.ruleName,
    severity: v.severity,
    paths: v.violatingResources.map((r) => r.constructPath),
  }));
}

/** Build both stacks from settings, synthesize the stateless one, and return its template. */
export function synthStateless(overrides: Record<string, unknown> = {}) {
  const app = testApp();
  const stacks = defineStacks(app, testSettings(overrides));
  const template = Template.fromStack(stacks.stateless);
  return { app, ...stacks, template };
}
