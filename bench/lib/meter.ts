/**
 * Measures, in this process, every AWS SDK request the local runtime makes: a `RequestCounter`
 * (shared/adapters/aws/request-counter.ts) on every set of clients `createAwsClients` builds, each
 * request attributed to the function invocation that made it (`currentInvocation()`; requests outside
 * any invocation are the SQS event source's own receives and deletes), plus the DynamoDB request
 * units each request consumed and every function invocation with its duration.
 */

import { currentInvocation, observeInvocations } from '../../infra/local/runtime/invoke.js';
import { type AwsClients, observeAwsClients } from '../../shared/adapters/aws/clients.js';
import { RequestCounter } from '../../shared/adapters/aws/request-counter.js';
import type { CapacityUse, InvocationUse, Usage } from './usage.js';

/** Scope of requests made outside any function: Lambda's SQS event source mapping. */
export const EVENT_SOURCE_SCOPE = 'event-source';

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
const WRITES = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);

interface ConsumedCapacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

type Handler = (args: { input: Record<string, unknown> }) => Promise<{ output?: unknown }>;

const scopeNow = () => currentInvocation()?.functionName ?? EVENT_SOURCE_SCOPE;

export class UsageMeter {
  readonly counter = new RequestCounter({ scope: scopeNow });
  private capacity = new Map<string, CapacityUse>();
  private invocations = new Map<string, InvocationUse>();
  private stops: (() => void)[] = [];
  private httpApi = 0;

  /** Starts observing clients built and invocations run from now on. */
  start(): this {
    this.stops.push(
      observeAwsClients((clients) => this.attach(clients)),
      observeInvocations(({ functionName, ms }) => {
        const i = this.invocations.get(functionName) ?? { functionName, count: 0, ms: 0 };
        i.count += 1;
        i.ms += ms;
        this.invocations.set(functionName, i);
      }),
    );
    return this;
  }

  stop(): void {
    for (const s of this.stops.splice(0)) s();
  }

  /** Counts one request through API Gateway (the bench's HTTP client calls this). */
  countHttpApiRequest(): void {
    this.httpApi += 1;
  }

  reset(): void {
    this.counter.reset();
    this.capacity.clear();
    this.invocations.clear();
    this.httpApi = 0;
  }

  snapshot(): Usage {
    return {
      requests: this.counter.snapshot(),
      capacity: [...this.capacity.values()].map((c) => ({ ...c })),
      invocations: [...this.invocations.values()].map((i) => ({ ...i })),
      httpApiRequests: this.httpApi,
    };
  }

  private attach(clients: Partial<AwsClients>): void {
    for (const client of [clients.dynamodb, clients.sqs, clients.s3]) {
      if (client) this.counter.attach(client);
    }
    if (!clients.dynamodb) return;
    const add = clients.dynamodb.middlewareStack.add.bind(
      clients.dynamodb.middlewareStack,
    ) as unknown as (
      mw: (next: Handler, context: { commandName?: string }) => Handler,
      options: { step: 'initialize'; name: string; override: boolean },
    ) => void;
    add(
      (next, context) => async (args) => {
        const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        const isRead = READS.has(operation);
        const isWrite = WRITES.has(operation);
        if (!isRead && !isWrite) return next(args);
        args.input.ReturnConsumedCapacity ??= 'INDEXES';
        const use = this.capacityEntry(scopeNow(), operation);
        try {
          const result = await next(args);
          const consumed = (result.output as { ConsumedCapacity?: unknown } | undefined)
            ?.ConsumedCapacity;
          for (const c of (Array.isArray(consumed) ? consumed : [consumed]) as (
            | ConsumedCapacity
            | undefined
          )[]) {
            if (!c) continue;
            const units = c.CapacityUnits ?? 0;
            if (isRead) use.readUnits += c.ReadCapacityUnits ?? units;
            else use.writeUnits += c.WriteCapacityUnits ?? units;
          }
          return result;
        } catch (err) {
          if (isWrite) {
            use.failedWrites += 1;
            use.writeUnits += 1;
          }
          throw err;
        }
      },
      { step: 'initialize', name: 'benchConsumedCapacity', override: true },
    );
  }

  private capacityEntry(scope: string, operation: string): CapacityUse {
    const key = `${scope}/${operation}`;
    let c = this.capacity.get(key);
    if (!c) {
      c = { scope, operation, readUnits: 0, writeUnits: 0, failedWrites: 0 };
      this.capacity.set(key, c);
    }
    return c;
  }
}
