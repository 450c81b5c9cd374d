/**
 * Everything that holds data: the tasks table, the API keys table and the outputs bucket. Retained on
 * stack deletion and protected against termination, so the stateless stack can be destroyed and
 * redeployed freely. Logical ids are pinned to the ids of shared/resources.ts.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { API_KEYS_TABLE, OUTPUTS_BUCKET, TASKS_TABLE } from '../../shared/resources.js';
import { OutputsBucket } from '../constructs/outputs-bucket.js';
import { SpecTable } from '../constructs/spec-table.js';

/** `terminationProtection` defaults to true here. */
export interface StatefulStackProps extends StackProps {
  /**
   * Browser origins allowed to use presigned upload and download URLs.
   * @default []
   */
  readonly corsOrigins?: readonly string[];
}

export class StatefulStack extends Stack {
  public readonly tasksTable: ITable;
  public readonly apiKeysTable: ITable;
  public readonly outputsBucket: IBucket;

  constructor(scope: Construct, id: string, props: StatefulStackProps = {}) {
    super(scope, id, { ...props, terminationProtection: props.terminationProtection ?? true });
    this.tasksTable = new SpecTable(this, 'Tasks', { spec: TASKS_TABLE }).table;
    this.apiKeysTable = new SpecTable(this, 'ApiKeys', { spec: API_KEYS_TABLE }).table;
    // The access log bucket needs no access logs of its own: cdk-nag's S1 accepts a log target.
    this.outputsBucket = new OutputsBucket(this, 'Outputs', {
      spec: OUTPUTS_BUCKET,
      corsOrigins: props.corsOrigins ?? [],
    }).bucket;
  }
}
