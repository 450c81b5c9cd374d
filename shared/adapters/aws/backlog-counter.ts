/**
 * The backlog the fleet is sized for, from where it lives: tasks waiting for dispatch are the dispatch
 * queue's messages (visible, in flight at a dispatcher, or delayed by a deferral), read from SQS's
 * approximate counts; tasks at ComfyUI are counted on the sparse `atComfy` index (one Query with
 * `Select: COUNT`, a few read units however many tasks have finished).
 */

import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Backlog } from '../../fleet/capacity.js';
import type { BacklogCounter } from '../../ports/fleet-registry.js';
import { AT_COMFY_PARTITION } from '../dynamodb/task-item.js';
import { translateAwsError } from './errors.js';

export interface AwsBacklogCounterOptions {
  sqs: Pick<SQSClient, 'send'>;
  queueUrl: string;
  doc: Pick<DynamoDBDocumentClient, 'send'>;
  tableName: string;
}

const COUNTS = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
] as const;

export class AwsBacklogCounter implements BacklogCounter {
  constructor(private readonly opts: AwsBacklogCounterOptions) {}

  async backlog(): Promise<Backlog> {
    const [queued, atComfy] = await Promise.all([this.queued(), this.atComfy()]);
    return { queued, atComfy };
  }

  private async queued(): Promise<number> {
    try {
      const out = await this.opts.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.opts.queueUrl,
          AttributeNames: [...COUNTS],
        }),
      );
      return COUNTS.reduce((n, name) => n + (Number(out.Attributes?.[name]) || 0), 0);
    } catch (err) {
      throw translateAwsError(err, 'Reading the dispatch queue length');
    }
  }

  private async atComfy(): Promise<number> {
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    try {
      do {
        const out = await this.opts.doc.send(
          new QueryCommand({
            TableName: this.opts.tableName,
            IndexName: 'atComfy',
            KeyConditionExpression: 'gsiActive = :a',
            ExpressionAttributeValues: { ':a': AT_COMFY_PARTITION },
            Select: 'COUNT',
            ExclusiveStartKey: startKey,
          }),
        );
        count += out.Count ?? 0;
        startKey = out.LastEvaluatedKey;
      } while (startKey);
      return count;
    } catch (err) {
      throw translateAwsError(err, 'Counting tasks at ComfyUI');
    }
  }
}
