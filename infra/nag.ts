/**
 * cdk-nag's AwsSolutions pack, run as a validation plugin: any finding that is not acknowledged in
 * the code fails the synth. Findings with a fixed id are acknowledged where they arise (next to the
 * construct, with the reason). The few whose id contains a cross-stack reference (a table or bucket
 * ARN from the stateful stack, which CloudFormation only resolves at deploy time) are acknowledged
 * here by pattern, each with its reason, on the exact construct and finding nag reports.
 */
import {
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
  Validations,
} from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

interface PatternAcknowledgment {
  /** Rule id before the `[finding]`, e.g. `AwsSolutions-IAM5`. */
  readonly rule: string;
  /** Matched against the text between the brackets of the finding id. */
  readonly finding: RegExp;
  readonly reason: string;
}

const PATTERN_ACKNOWLEDGMENTS: readonly PatternAcknowledgment[] = [
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Resource::.+\/index\/\*$/,
    reason:
      "Table grants include the table's own global secondary indexes (the list, quota and poller " +
      'queries read byOwner, byOwnerStatus, ownerActive, atComfy; the authorizer byKeyId), which ' +
      'CDK grants as <table ARN>/index/*. No other table is reachable.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Resource::.+\/(outputs|uploads|workflows)\/\*$/,
    reason:
      'Object access is limited to one key prefix of the outputs bucket (outputs/, uploads/ or ' +
      'workflows/), the narrowest scope that covers keys named by task and upload ids.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Action::s3:(GetObject\*|GetBucket\*|List\*|Abort\*|DeleteObject\*)$/,
    reason:
      "The action groups of CDK's bucket grants (read: GetObject*, GetBucket*, List*; write: " +
      'Abort* for multipart uploads, DeleteObject* for a dropped workflow), on the prefix-scoped ' +
      'resources above only.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Resource::arn:.+:autoscaling:.+:autoScalingGroup:\*:autoScalingGroupName\/<[^>]+>$/,
    reason:
      "An Auto Scaling group's ARN holds an id generated at creation; the group name (a reference " +
      'to the fleet group of this stack) pins the fleet controller to that one group.',
  },
];

/** The id inside `Rule[finding]`, split. */
const FINDING_ID = /^([^[]+)\[(.*)\]$/s;

/** Acknowledge, on their constructs, the findings of `report` that match a pattern. */
function acknowledgeMatches(scope: IConstruct, report: PolicyValidationPluginReport) {
  const byPath = new Map(scope.node.findAll().map((c) => [c.node.path, c]));
  for (const violation of report.violations) {
    const match = FINDING_ID.exec(violation.ruleName);
    if (!match) continue;
    const [, rule, finding] = match;
    const ack = PATTERN_ACKNOWLEDGMENTS.find(
      (a) => a.rule === rule && finding !== undefined && a.finding.test(finding),
    );
    if (!ack) continue;
    for (const resource of violation.violatingResources) {
      const construct = resource.constructPath ? byPath.get(resource.constructPath) : undefined;
      if (construct) {
        Validations.of(construct).acknowledge({ id: violation.ruleName, reason: ack.reason });
      }
    }
  }
}

/**
 * Run AwsSolutions over `scope` (after cross-stack references are resolved, i.e. during or after
 * synthesis), with the pattern acknowledgments applied.
 */
export function checkAwsSolutions(scope: IConstruct): PolicyValidationPluginReport {
  const pack = new AwsSolutionsChecks(undefined, { verbose: true });
  acknowledgeMatches(scope, pack.validateScope(scope));
  return pack.validateScope(scope);
}

/** The validation plugin the app registers (`Validations.of(app).addPlugins(...)`). */
export class AwsSolutionsPlugin implements IPolicyValidationPlugin {
  public readonly name = 'AwsSolutions';

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    return checkAwsSolutions(context.appConstruct);
  }
}
