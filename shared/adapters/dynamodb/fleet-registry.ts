/**
 * The fleet registry as one item in the tasks table (`pk = FLEET#servers`): the servers as JSON and a
 * version. Every write is conditional on the version read, and retried on a conflict, so the
 * controller and the poller can both record what they saw without losing each other's events. One
 * item keeps reads to one GetItem for the dispatcher; a fleet of hundreds of servers stays far below
 * DynamoDB's 400 KB item limit (about 300 bytes per server).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { applyServerEvents, type FleetServer, type ServerEvent } from '../../fleet/server.js';
import type { Clock } from '../../ports/clock.js';
import type { FleetRegistry } from '../../ports/fleet-registry.js';
import { translateAwsError } from '../aws/errors.js';

const MAX_ATTEMPTS = 8;

export interface DynamoFleetRegistryOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  clock: Clock;
  /** @default 'servers' (the item `FLEET#servers`) */
  name?: string;
}

export class DynamoFleetRegistry implements FleetRegistry {
  private readonly key: { pk: string };
  constructor(private readonly opts: DynamoFleetRegistryOptions) {
    this.key = { pk: `FLEET#${opts.name ?? 'servers'}` };
  }

  async list(): Promise<FleetServer[]> {
    return (await this.read()).servers;
  }

  async apply(events: readonly ServerEvent[]): Promise<FleetServer[]> {
    for (let attempt = 1; ; attempt++) {
      const { servers, version } = await this.read();
      const next = applyServerEvents(servers, events, this.opts.clock.now());
      try {
        await this.opts.doc.send(
          new PutCommand({
            TableName: this.opts.tableName,
            Item: { ...this.key, servers: JSON.stringify(next), version: version + 1 },
            ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : 'version = :v',
            ...(version === 0 ? {} : { ExpressionAttributeValues: { ':v': version } }),
          }),
        );
        return next;
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException && attempt < MAX_ATTEMPTS) continue;
        throw translateAwsError(err, 'Recording fleet servers');
      }
    }
  }

  private async read(): Promise<{ servers: FleetServer[]; version: number }> {
    try {
      const out = await this.opts.doc.send(
        new GetCommand({ TableName: this.opts.tableName, Key: this.key, ConsistentRead: true }),
      );
      const item = out.Item;
      if (!item) return { servers: [], version: 0 };
      return {
        servers: JSON.parse(String(item.servers)) as FleetServer[],
        version: Number(item.version),
      };
    } catch (err) {
      throw translateAwsError(err, 'Reading fleet servers');
    }
  }
}
