/**
 * A DynamoDB table built from a `TableSpec` of shared/resources.ts (the same description the local
 * bootstrap creates on DynamoDB Local), with the settings every table of the product shares:
 * on-demand billing, point-in-time recovery, deletion protection and a retained removal policy.
 * Encryption at rest is DynamoDB's default (AWS-owned key, no KMS charges).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type CfnTable,
  ProjectionType,
  Table,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { IndexSpec, TableSpec } from '../../shared/resources.js';

export interface SpecTableProps {
  /** The table's keys, TTL attribute and indexes. */
  readonly spec: TableSpec;
  /**
   * What CloudFormation does with the table when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Refuse DeleteTable calls (including from CloudFormation) until it is switched off.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/** The table, with its CloudFormation logical id pinned to `spec.id`. */
export class SpecTable extends Construct {
  public readonly table: Table;

  constructor(scope: Construct, id: string, props: SpecTableProps) {
    super(scope, id);
    const { spec } = props;
    this.table = new Table(this, 'Table', {
      partitionKey: { name: spec.partitionKey, type: AttributeType.STRING },
      ...(spec.sortKey ? { sortKey: { name: spec.sortKey, type: AttributeType.STRING } } : {}),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      ...(spec.ttlAttribute ? { timeToLiveAttribute: spec.ttlAttribute } : {}),
    });
    for (const index of spec.indexes) this.table.addGlobalSecondaryIndex(indexProps(index));
    // A refactor that moves the table in the construct tree must never replace (and so empty) it.
    (this.table.node.defaultChild as CfnTable).overrideLogicalId(spec.id);
  }
}

function indexProps(index: IndexSpec) {
  const projection =
    index.projection === 'ALL'
      ? { projectionType: ProjectionType.ALL }
      : index.projection === 'KEYS_ONLY'
        ? { projectionType: ProjectionType.KEYS_ONLY }
        : { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.projection] };
  return {
    indexName: index.name,
    partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
    ...(index.sortKey ? { sortKey: { name: index.sortKey, type: AttributeType.STRING } } : {}),
    ...projection,
  };
}
