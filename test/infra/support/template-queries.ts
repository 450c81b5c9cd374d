/** Small queries over a synthesized template, by logical-id prefix (= construct path). */
import type { Template } from 'aws-cdk-lib/assertions';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
export type Resource = { Type: string; Properties: any; [key: string]: any };

export function resourcesOf(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

/** The one resource of `type` whose logical id starts with `prefix`. */
export function oneResource(template: Template, type: string, prefix: string): Resource {
  const found = Object.entries(resourcesOf(template, type)).filter(([id]) => id.startsWith(prefix));
  if (found.length !== 1) {
    throw new Error(`expected one ${type} with prefix ${prefix}, found ${found.length}`);
  }
  return (found[0] as [string, Resource])[1];
}

/** The statements of the IAM policy attached to the role whose logical id starts with `prefix`. */
export function policyStatements(template: Template, rolePrefix: string) {
  const policies = Object.entries(resourcesOf(template, 'AWS::IAM::Policy')).filter(([, p]) =>
    (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref.startsWith(rolePrefix)),
  );
  return policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

export const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
export const resourcesOfStatement = (s: Statement) =>
  Array.isArray(s.Resource) ? s.Resource : [s.Resource];

/** A resource reference flattened to text (for "which resource is this" assertions). */
export const flat = (value: unknown): string => JSON.stringify(value) ?? '';
