/**
 * Apps for the infra tests: the context of cdk.json (the same feature flags as `cdk synth`), with
 * asset bundling skipped so a test builds a stack in milliseconds instead of running esbuild.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { PROJECT_ROOT } from '../../../infra/paths.js';
import { type DeploySettings, parseSettings } from '../../../infra/settings.js';

export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8'));
  return cdkJson.context ?? {};
}

export function testApp(extraContext: Record<string, unknown> = {}): App {
  return new App({
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...extraContext },
  });
}

export function testSettings(overrides: Record<string, unknown> = {}): DeploySettings {
  return parseSettings({ corsOrigins: 'https://app.example.com', ...overrides });
}

/** cdk-nag AwsSolutions findings that are not acknowledged in the code. */
export function nagFindings(scope: IConstruct) {
  const report = new AwsSolutionsChecks(undefined, { verbose: false }).validateScope(scope);
  return report.violations.map((v) => ({
    rule: v.ruleName,
    severity: v.severity,
    paths: v.violatingResources.map((r) => r.constructPath),
  }));
}
