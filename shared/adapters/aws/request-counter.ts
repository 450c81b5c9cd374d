/**
 * Counts AWS SDK requests per service and operation, for benchmarks and cost estimates. Attach it to
 * any v3 client (a DynamoDBDocumentClient shares its base client's stack, so attach to either):
 *
 * ```ts
 * const counter = new RequestCounter();
 * counter.attach(clients.dynamodb).attach(clients.sqs).attach(clients.s3);
 * // ... run the workload ...
 * counter.snapshot(); // [{ service: 'DynamoDB', operation: 'UpdateItem', calls: 12, attempts: 13 }, ...]
 * ```
 *
 * `calls` counts commands sent; `attempts` counts HTTP attempts including the SDK's own retries
 * (what AWS bills). Presigning a URL sends nothing and is not counted.
 *
 * With a `scope` function (e.g. the local runtime's `currentInvocation()?.functionName`), counts are
 * kept apart per scope, read when each command is sent; entries then carry `scope`.
 */
export interface RequestCount {
  service: string;
  operation: string;
  calls: number;
  attempts: number;
  /** Only when the counter has a `scope` function; '' when it returned undefined. */
  scope?: string;
}

export interface RequestCounterOptions {
  /** Names the part of the program a request belongs to. */
  scope?: () => string | undefined;
}

type Handler = (args: never) => Promise<unknown>;
type Middleware = (
  next: Handler,
  context: { clientName?: string; commandName?: string },
) => Handler;
type AddMiddleware = (
  middleware: Middleware,
  options: {
    step: 'initialize' | 'finalizeRequest';
    name: string;
    override?: boolean;
    priority?: 'low';
  },
) => void;
/** Any v3 client (structurally, so @smithy/types need not be named). */
interface Attachable {
  middlewareStack: { add(...args: never[]): void };
}

const CALLS = 'requestCounterCalls';
const ATTEMPTS = 'requestCounterAttempts';

export class RequestCounter {
  private readonly counts = new Map<string, RequestCount>();
  private readonly attached = new WeakSet<object>();

  constructor(private readonly options: RequestCounterOptions = {}) {}

  /** Start counting this client's requests. Attaching twice counts once. */
  attach(client: Attachable): this {
    const stack = client.middlewareStack;
    if (this.attached.has(stack)) return this;
    this.attached.add(stack);
    const add = stack.add.bind(stack) as unknown as AddMiddleware;
    add(
      (next, context) => async (args) => {
        this.entry(context.clientName, context.commandName).calls += 1;
        return next(args);
      },
      { step: 'initialize', name: CALLS, override: true },
    );
    // Low priority in finalizeRequest runs inside the retry middleware: once per attempt.
    add(
      (next, context) => async (args) => {
        this.entry(context.clientName, context.commandName).attempts += 1;
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: ATTEMPTS, override: true },
    );
    return this;
  }

  /** The counts so far, sorted by scope (if any), service, then operation. */
  snapshot(): RequestCount[] {
    return [...this.counts.values()]
      .map((c) => ({ ...c }))
      .sort(
        (a, b) =>
          (a.scope ?? '').localeCompare(b.scope ?? '') ||
          a.service.localeCompare(b.service) ||
          a.operation.localeCompare(b.operation),
      );
  }

  /** Total calls, optionally of one service. */
  total(service?: string): number {
    let n = 0;
    for (const c of this.counts.values()) if (!service || c.service === service) n += c.calls;
    return n;
  }

  reset(): void {
    this.counts.clear();
  }

  private entry(clientName: string | undefined, commandName: string | undefined): RequestCount {
    const service = (clientName ?? 'Unknown').replace(/Client$/, '');
    const operation = (commandName ?? 'Unknown').replace(/Command$/, '');
    const scope = this.options.scope ? (this.options.scope() ?? '') : undefined;
    const key = `${scope ?? ''}/${service}/${operation}`;
    let c = this.counts.get(key);
    if (!c) {
      c = { service, operation, calls: 0, attempts: 0, ...(scope !== undefined ? { scope } : {}) };
      this.counts.set(key, c);
    }
    return c;
  }
}
