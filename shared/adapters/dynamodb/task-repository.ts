/**
 * TaskRepository on DynamoDB (document client). Item layout: ./task-item.ts and shared/resources.ts.
 *
 * Consistency: `get` and every write are strongly consistent, and every write is conditional. The
 * lists (`listByOwner`, `countActive`, `listAtComfy`) read global secondary indexes, which DynamoDB
 * updates asynchronously (usually within a second): a task written a moment ago may be missing from
 * them or show its previous status. Callers treat list results as hints: the poller re-reads or
 * writes conditionally before acting, and the active-task cap may let a burst pass by a few.
 *
 * Workflows are stored gzip-compressed inline (`workflowGz`). One whose gzip exceeds
 * `inlineWorkflowMaxBytes` (default 256 KiB, leaving room under DynamoDB's 400 KB item limit for
 * outputs and errors) goes to S3 under `workflows/<ownerSegment>/<taskId>.json.gz` through the
 * `workflowStore` ArtifactStore, and the item keeps `workflowKey`; without a workflowStore it is
 * refused with PayloadTooLargeError.
 */
import { Readable } from 'node:stream';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  IdempotencyKeyReusedError,
  InvalidRequestError,
  PayloadTooLargeError,
  TaskNotFoundError,
  TaskStateConflictError,
} from '../../domain/errors.js';
import { ownerSegment } from '../../domain/owner.js';
import type { TaskProgress } from '../../domain/task.js';
import { isTerminal, type Task } from '../../domain/task.js';
import type { WebhookDelivery } from '../../domain/webhook.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import { type Clock, systemClock } from '../../ports/clock.js';
import type { ProgressLog } from '../../ports/progress-log.js';
import type {
  CreateResult,
  IdempotencyClaim,
  ListPage,
  ListQuery,
  QueuedEntry,
  RemovableField,
  TaskChanges,
  TaskRepository,
  TaskSummary,
  WriteExpectation,
} from '../../ports/task-repository.js';
import type { WebhookDeliveryLog } from '../../ports/webhook-delivery-log.js';
import { keys } from '../../resources.js';
import { awsErrorName, translateAwsError } from '../aws/errors.js';
import { createdSortKey, decodeListCursor, encodeListCursor } from '../task-list-cursor.js';
import {
  checkUpdate,
  expectedStatuses,
  IDEMPOTENCY_TTL_SECONDS,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  retentionExpiry,
} from '../task-write-rules.js';
import {
  AT_COMFY_PARTITION,
  derivedKeys,
  fieldsFromItem,
  gunzipWorkflow,
  gzipWorkflow,
  idempotencyPk,
  QUEUED_PARTITION,
  summaryFromItem,
  taskPk,
  toItem,
} from './task-item.js';

export interface DynamoTaskRepositoryOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** @default systemClock */
  clock?: Clock;
  /** Days a terminal task is kept before TTL removes it. @default 30 */
  retentionDays?: number;
  /** Where workflows too large for the item go. @default none: such workflows are refused */
  workflowStore?: ArtifactStore;
  /** Largest gzip workflow kept inline, in bytes. @default 262144 */
  inlineWorkflowMaxBytes?: number;
}

type Item = Record<string, unknown>;
/** Raw attribute values, as DynamoDB returns them in cancellation reasons and condition failures. */
type RawItem = Record<string, { S?: string; N?: string } | undefined>;

const OWNER_CACHE_SIZE = 10_000;

export class DynamoTaskRepository implements TaskRepository, WebhookDeliveryLog, ProgressLog {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly clock: Clock;
  private readonly retentionDays: number;
  private readonly workflowStore: ArtifactStore | undefined;
  private readonly inlineMax: number;
  /** taskId -> owner. Owners never change, so this only saves reads before status changes. */
  private readonly owners = new Map<string, string>();

  constructor(o: DynamoTaskRepositoryOptions) {
    this.client = o.client;
    this.table = o.tableName;
    this.clock = o.clock ?? systemClock;
    this.retentionDays = o.retentionDays ?? 30;
    this.workflowStore = o.workflowStore;
    this.inlineMax = o.inlineWorkflowMaxBytes ?? 256 * 1024;
  }

  async create(task: Task, idempotency?: IdempotencyClaim): Promise<CreateResult> {
    if (
      idempotency &&
      (idempotency.key.length === 0 || idempotency.key.length > MAX_IDEMPOTENCY_KEY_LENGTH)
    )
      throw new InvalidRequestError(
        `An Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters.`,
      );
    const stored: Task = idempotency ? { ...task, idempotencyKey: idempotency.key } : task;
    const workflow = await this.storeWorkflow(stored);
    const nowMs = this.clock.now();
    const expiresAt = isTerminal(task.status)
      ? retentionExpiry(nowMs, this.retentionDays)
      : undefined;
    const item = toItem(stored, workflow, expiresAt);
    try {
      const result = idempotency
        ? await this.putWithClaim(item, stored, idempotency, nowMs)
        : await this.putTask(item, stored);
      if (!result.created) await this.dropWorkflow(workflow);
      else this.remember(task.taskId, task.owner);
      return result;
    } catch (err) {
      await this.dropWorkflow(workflow);
      throw err;
    }
  }

  async get(taskId: string): Promise<Task | undefined> {
    const out = await this.send('reading a task', () =>
      this.client.send(
        new GetCommand({
          TableName: this.table,
          Key: { pk: taskPk(taskId) },
          ConsistentRead: true,
        }),
      ),
    );
    if (!out.Item) return undefined;
    const task = await this.taskFromItem(out.Item);
    this.remember(task.taskId, task.owner);
    return task;
  }

  async update(
    taskId: string,
    expect: WriteExpectation,
    changes: TaskChanges,
    remove: readonly RemovableField[] = [],
  ): Promise<Task> {
    checkUpdate(expect, changes, remove);
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const n = (attr: string) => {
      names[`#${attr}`] = attr;
      return `#${attr}`;
    };
    let i = 0;
    const v = (value: unknown) => {
      const k = `:v${i++}`;
      values[k] = value;
      return k;
    };
    const sets: string[] = [];
    const removes: string[] = remove.map(n);
    for (const [k, value] of Object.entries(changes))
      if (value !== undefined && k !== 'updatedAt') sets.push(`${n(k)} = ${v(value)}`);
    sets.push(
      `${n('updatedAt')} = ${v(changes.updatedAt ?? new Date(this.clock.now()).toISOString())}`,
    );
    sets.push(`${n('version')} = ${n('version')} + ${v(1)}`);
    const conditions = [
      'attribute_exists(pk)',
      `${n('status')} IN (${expectedStatuses(expect).map(v).join(', ')})`,
    ];
    if (expect.version !== undefined) conditions.push(`${n('version')} = ${v(expect.version)}`);
    if (changes.status !== undefined) {
      const owner = await this.ownerOf(taskId);
      conditions.push(`${n('owner')} = ${v(owner)}`);
      for (const [attr, value] of Object.entries(derivedKeys(owner, changes.status))) {
        if (value === undefined) removes.push(n(attr));
        else sets.push(`${n(attr)} = ${v(value)}`);
      }
      if (changes.status === 'queued' && changes.queuedAt === undefined)
        sets.push(
          `${n('queuedAt')} = ${v(changes.updatedAt ?? new Date(this.clock.now()).toISOString())}`,
        );
      if (isTerminal(changes.status)) {
        const exp = retentionExpiry(this.clock.now(), this.retentionDays);
        sets.push(`${n('expiresAt')} = if_not_exists(${n('expiresAt')}, ${v(exp)})`);
      }
    }
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: taskPk(taskId) },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return await this.taskFromItem(out.Attributes ?? {});
    } catch (err) {
      if (awsErrorName(err) === 'ConditionalCheckFailedException')
        throw await this.conflict(taskId, (err as { Item?: RawItem }).Item);
      throw this.translate(err, 'updating a task');
    }
  }

  /** `deliveries.<event>` on the task item; status, version and updatedAt are left alone. */
  async recordDelivery(taskId: string, delivery: WebhookDelivery): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: taskPk(taskId) },
          UpdateExpression: 'SET #d.#e = :d',
          ConditionExpression: 'attribute_exists(pk) AND attribute_exists(#d)',
          ExpressionAttributeNames: { '#d': 'deliveries', '#e': delivery.event },
          ExpressionAttributeValues: { ':d': delivery },
        }),
      );
    } catch (err) {
      if (awsErrorName(err) === 'ConditionalCheckFailedException') return;
      throw this.translate(err, 'recording a webhook delivery');
    }
  }

  /** `progress` and `progressSeq + 1`, while the task is dispatched or running. */
  async recordProgress(taskId: string, progress: TaskProgress): Promise<Task | undefined> {
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: taskPk(taskId) },
          UpdateExpression: 'SET #p = :p, #q = if_not_exists(#q, :zero) + :one',
          ConditionExpression: 'attribute_exists(pk) AND #s IN (:d, :r)',
          ExpressionAttributeNames: { '#p': 'progress', '#q': 'progressSeq', '#s': 'status' },
          ExpressionAttributeValues: {
            ':p': progress,
            ':zero': 0,
            ':one': 1,
            ':d': 'dispatched',
            ':r': 'running',
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return await this.taskFromItem(out.Attributes ?? {});
    } catch (err) {
      if (awsErrorName(err) === 'ConditionalCheckFailedException') return undefined;
      throw this.translate(err, 'recording progress');
    }
  }

  async listByOwner(query: ListQuery): Promise<ListPage> {
    const { owner, status, limit } = query;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new InvalidRequestError('limit must be an integer from 1 to 1000.');
    const pkName = status ? 'gsiOwnerStatus' : 'gsiOwner';
    const pkValue = status ? `${owner}#${status}` : owner;
    const after = query.cursor ? decodeListCursor(query.cursor, owner, status) : undefined;
    // The start key is built from the caller's own partition, never taken from the cursor.
    let startKey: Item | undefined = after && {
      pk: taskPk(after.taskId),
      [pkName]: pkValue,
      gsiCreated: createdSortKey(after),
    };
    const items: TaskSummary[] = [];
    // One extra item tells whether another page exists.
    do {
      const out = await this.query({
        IndexName: status ? 'byOwnerStatus' : 'byOwner',
        KeyConditionExpression: '#p = :p',
        ExpressionAttributeNames: { '#p': pkName },
        ExpressionAttributeValues: { ':p': pkValue },
        ScanIndexForward: false,
        Limit: limit + 1 - items.length,
        ExclusiveStartKey: startKey,
      });
      for (const it of out.Items ?? []) items.push(summaryFromItem(it));
      startKey = out.LastEvaluatedKey;
    } while (startKey && items.length <= limit);
    const page = items.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page,
      ...(items.length > limit && last
        ? { nextCursor: encodeListCursor(owner, status, last) }
        : {}),
    };
  }

  async countActive(owner: string, atMost: number): Promise<number> {
    let count = 0;
    let startKey: Item | undefined;
    while (count < atMost) {
      const out = await this.query({
        IndexName: 'ownerActive',
        KeyConditionExpression: 'gsiOwnerActive = :o',
        ExpressionAttributeValues: { ':o': owner },
        Select: 'COUNT',
        Limit: atMost - count,
        ExclusiveStartKey: startKey,
      });
      count += out.Count ?? 0;
      startKey = out.LastEvaluatedKey;
      if (!startKey) break;
    }
    return Math.min(count, Math.max(atMost, 0));
  }

  async listAtComfy(): Promise<TaskSummary[]> {
    const tasks: TaskSummary[] = [];
    let startKey: Item | undefined;
    do {
      const out = await this.query({
        IndexName: 'atComfy',
        KeyConditionExpression: 'gsiActive = :a',
        ExpressionAttributeValues: { ':a': AT_COMFY_PARTITION },
        ScanIndexForward: true,
        ExclusiveStartKey: startKey,
      });
      for (const it of out.Items ?? []) {
        const task = summaryFromItem(it);
        // The poller changes the status of the tasks it lists: knowing their owners saves a read each.
        this.remember(task.taskId, task.owner);
        tasks.push(task);
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return tasks;
  }

  async listQueuedBefore(before: string, limit: number): Promise<QueuedEntry[]> {
    const out = await this.query({
      IndexName: 'queuedSince',
      KeyConditionExpression: 'gsiQueued = :q AND queuedAt <= :b',
      ExpressionAttributeValues: { ':q': QUEUED_PARTITION, ':b': before },
      ScanIndexForward: true,
      Limit: limit,
    });
    const entries: QueuedEntry[] = [];
    for (const it of out.Items ?? []) {
      const pk = it.pk;
      if (typeof pk === 'string' && typeof it.queuedAt === 'string')
        entries.push({ taskId: pk.slice('TASK#'.length), queuedAt: it.queuedAt });
    }
    return entries;
  }

  private async putTask(item: Item, task: Task): Promise<CreateResult> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { created: true, task };
    } catch (err) {
      if (awsErrorName(err) === 'ConditionalCheckFailedException')
        throw new TaskStateConflictError(`Task ${task.taskId} already exists.`, { cause: err });
      throw this.translate(err, 'storing a task');
    }
  }

  private async putWithClaim(
    item: Item,
    task: Task,
    claim: IdempotencyClaim,
    nowMs: number,
  ): Promise<CreateResult> {
    const nowSec = Math.floor(nowMs / 1000);
    const idemKey = { pk: idempotencyPk(task.owner, claim.key) };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: item,
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.table,
                Item: {
                  ...idemKey,
                  owner: task.owner,
                  taskId: task.taskId,
                  bodyHash: claim.bodyHash,
                  createdAt: new Date(nowMs).toISOString(),
                  expiresAt: nowSec + IDEMPOTENCY_TTL_SECONDS,
                },
                // TTL deletion lags by up to days, so an expired claim is overwritten explicitly.
                ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
                ExpressionAttributeValues: { ':now': nowSec },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
          ],
        }),
      );
      return { created: true, task };
    } catch (err) {
      if (awsErrorName(err) !== 'TransactionCanceledException')
        throw this.translate(err, 'storing a task');
      const reasons =
        (err as { CancellationReasons?: { Code?: string; Item?: RawItem }[] })
          .CancellationReasons ?? [];
      const [taskReason, claimReason] = reasons;
      if (
        claimReason?.Code === 'ConditionalCheckFailed' ||
        claimReason?.Code === 'TransactionConflict'
      ) {
        const held = await this.readClaim(idemKey.pk, claimReason.Item, nowSec);
        if (held) {
          if (held.bodyHash !== claim.bodyHash) throw new IdempotencyKeyReusedError();
          const existing = await this.get(held.taskId);
          if (existing) return { created: false, task: existing };
        }
        throw new TaskStateConflictError('A request with this Idempotency-Key is in progress.', {
          cause: err,
        });
      }
      if (taskReason?.Code === 'ConditionalCheckFailed')
        throw new TaskStateConflictError(`Task ${task.taskId} already exists.`, { cause: err });
      throw new TaskStateConflictError('Storing the task raced another write; try again.', {
        cause: err,
      });
    }
  }

  /** The live claim under `pk`: from the cancellation reason when DynamoDB returned it, else read. */
  private async readClaim(
    pk: string,
    raw: RawItem | undefined,
    nowSec: number,
  ): Promise<{ taskId: string; bodyHash: string } | undefined> {
    let rec: { taskId?: unknown; bodyHash?: unknown; expiresAt?: unknown } | undefined;
    if (raw?.taskId?.S) {
      rec = {
        taskId: raw.taskId.S,
        bodyHash: raw.bodyHash?.S,
        expiresAt: Number(raw.expiresAt?.N),
      };
    } else {
      const out = await this.send('reading an idempotency record', () =>
        this.client.send(
          new GetCommand({ TableName: this.table, Key: { pk }, ConsistentRead: true }),
        ),
      );
      rec = out.Item;
    }
    if (!rec || typeof rec.taskId !== 'string' || typeof rec.bodyHash !== 'string')
      return undefined;
    if (typeof rec.expiresAt === 'number' && rec.expiresAt <= nowSec) return undefined;
    return { taskId: rec.taskId, bodyHash: rec.bodyHash };
  }

  private async conflict(taskId: string, old: RawItem | undefined): Promise<Error> {
    let status = old?.status?.S;
    let version = old?.version?.N === undefined ? undefined : Number(old.version.N);
    if (old === undefined) {
      // Older emulators do not return the item on a failed condition: read it.
      const out = await this.send('reading a task', () =>
        this.client.send(
          new GetCommand({
            TableName: this.table,
            Key: { pk: taskPk(taskId) },
            ConsistentRead: true,
            ProjectionExpression: '#s, version',
            ExpressionAttributeNames: { '#s': 'status' },
          }),
        ),
      );
      if (!out.Item) return new TaskNotFoundError(taskId);
      status = out.Item.status as string;
      version = out.Item.version as number;
    }
    if (status === undefined) return new TaskNotFoundError(taskId);
    return new TaskStateConflictError(`Task ${taskId} is ${status} at version ${version}.`, {
      details: { status, version },
    });
  }

  private async ownerOf(taskId: string): Promise<string> {
    const cached = this.owners.get(taskId);
    if (cached !== undefined) return cached;
    const out = await this.send('reading a task', () =>
      this.client.send(
        new GetCommand({
          TableName: this.table,
          Key: { pk: taskPk(taskId) },
          ConsistentRead: true,
          ProjectionExpression: '#o',
          ExpressionAttributeNames: { '#o': 'owner' },
        }),
      ),
    );
    const owner = out.Item?.owner;
    if (typeof owner !== 'string') throw new TaskNotFoundError(taskId);
    this.remember(taskId, owner);
    return owner;
  }

  private remember(taskId: string, owner: string): void {
    if (this.owners.size >= OWNER_CACHE_SIZE) {
      const oldest = this.owners.keys().next().value;
      if (oldest !== undefined) this.owners.delete(oldest);
    }
    this.owners.set(taskId, owner);
  }

  private async storeWorkflow(
    task: Task,
  ): Promise<{ workflowGz: Uint8Array } | { workflowKey: string }> {
    const gz = gzipWorkflow(task.workflow);
    if (gz.length <= this.inlineMax) return { workflowGz: gz };
    if (!this.workflowStore)
      throw new PayloadTooLargeError(
        `The workflow is too large to store (${gz.length} bytes compressed, at most ${this.inlineMax}).`,
      );
    const key = keys.workflow(ownerSegment(task.owner), task.taskId);
    await this.workflowStore.putStream({
      key,
      body: Readable.from([gz]),
      contentType: 'application/gzip',
      size: gz.length,
    });
    return { workflowKey: key };
  }

  private async dropWorkflow(w: { workflowGz: Uint8Array } | { workflowKey: string }) {
    if ('workflowKey' in w) await this.workflowStore?.delete(w.workflowKey).catch(() => undefined);
  }

  private async taskFromItem(item: Item): Promise<Task> {
    const fields = fieldsFromItem(item);
    if (item.workflowGz instanceof Uint8Array)
      return { ...fields, workflow: gunzipWorkflow(item.workflowGz) };
    if (typeof item.workflowKey === 'string' && this.workflowStore) {
      const { body } = await this.workflowStore.getStream(item.workflowKey);
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(Buffer.from(c as Uint8Array));
      return { ...fields, workflow: gunzipWorkflow(Buffer.concat(chunks)) };
    }
    throw new Error(`Task ${fields.taskId} has no readable workflow (workflowStore missing?).`);
  }

  private query(input: Omit<QueryCommandInput, 'TableName'>) {
    return this.send('listing tasks', () =>
      this.client.send(new QueryCommand({ TableName: this.table, ...input })),
    );
  }

  private async send<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw this.translate(err, what);
    }
  }

  private translate(err: unknown, what: string): unknown {
    const msg = err instanceof Error ? err.message : '';
    if (awsErrorName(err) === 'ValidationException' && /item size/i.test(msg))
      return new PayloadTooLargeError('The task has grown past the 400 KB item limit.', {
        cause: err,
      });
    return translateAwsError(err, `DynamoDB (${what})`);
  }
}
