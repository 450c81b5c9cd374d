/**
 * PollerTrigger over Lambda: an asynchronous (`Event`) invoke of the poller function. At most one
 * kick per `minIntervalMs` per container, so a busy dispatcher adds a bounded number of requests; a
 * running poller keeps polling anyway while tasks are active.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { Clock } from '../../ports/clock.js';
import { POLLER_KICK_SOURCE, type PollerTrigger } from '../../ports/poller-trigger.js';
import { translateAwsError } from '../aws/errors.js';

export interface LambdaPollerTriggerOptions {
  client: Pick<LambdaClient, 'send'>;
  functionName: string;
  clock: Clock;
  /** @default 10000 */
  minIntervalMs?: number;
}

export class LambdaPollerTrigger implements PollerTrigger {
  private lastKickAt = Number.NEGATIVE_INFINITY;
  constructor(private readonly opts: LambdaPollerTriggerOptions) {}

  async kick(): Promise<void> {
    const now = this.opts.clock.now();
    if (now - this.lastKickAt < (this.opts.minIntervalMs ?? 10_000)) return;
    this.lastKickAt = now;
    try {
      await this.opts.client.send(
        new InvokeCommand({
          FunctionName: this.opts.functionName,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(JSON.stringify({ source: POLLER_KICK_SOURCE })),
        }),
      );
    } catch (err) {
      // Let the next dispatch try again rather than waiting out the interval.
      this.lastKickAt = Number.NEGATIVE_INFINITY;
      throw translateAwsError(err, 'invoke the poller');
    }
  }
}
