/** DynamoTaskRepository on DynamoDB Local: the shared contract, then the item layout it promises. */
import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoTaskRepository } from '../../../shared/adapters/dynamodb/task-repository.js';
import { DependencyUnavailableError, PayloadTooLargeError } from '../../../shared/domain/errors.js';
import type { ComfyWorkflow } from '../../../shared/domain/task.js';
import { taskRepositoryContract } from '../../contract/task-repository.contract.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { InMemoryArtifactStore } from '../../fakes/in-memory-artifact-store.js';
import { aTask } from '../../fakes/tasks.js';
import { createTestStack, type TestStack } from '../../helpers/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});

const repoWith = (o: Partial<ConstructorParameters<typeof DynamoTaskRepository>[0]> = {}) => {
  const clock = new FixedClock();
  return {
    clock,
    repo: new DynamoTaskRepository({
      client: stack.clients.doc,
      tableName: stack.names.tasksTable,
      clock,
      ...o,
    }),
  };
};
const rawItem = async (pk: string) =>
  (
    await stack.clients.doc.send(
      new GetCommand({ TableName: stack.names.tasksTable, Key: { pk }, ConsistentRead: true }),
    )
  ).Item;

/** A workflow whose gzip stays large: random text in a node input. */
const bulkyWorkflow = (bytes: number): ComfyWorkflow => ({
  '1': { class_type: 'Note', inputs: { text: randomBytes(bytes).toString('base64') } },
});

describe('DynamoTaskRepository meets the TaskRepository contract', () => {
  taskRepositoryContract(async () => repoWith());
});

describe('DynamoTaskRepository item layout', () => {
  it('derives the index keys from owner, status and createdAt, and keeps the workflow gzip', async () => {
    const { repo } = repoWith();
    const t = aTask({ owner: `o-${randomUUID()}`, status: 'dispatched' });
    await repo.create(t);
    const item = await rawItem(`TASK#${t.taskId}`);
    expect(item).toMatchObject({
      gsiOwner: t.owner,
      gsiCreated: `${t.createdAt}#${t.taskId}`,
      gsiOwnerStatus: `${t.owner}#dispatched`,
      gsiActive: 'AT_COMFY',
      gsiOwnerActive: t.owner,
    });
    expect(item?.workflowGz).toBeInstanceOf(Uint8Array);
    expect(item).not.toHaveProperty('workflow');
    expect(item).not.toHaveProperty('expiresAt');
  });

  it('maintains the sparse keys and sets the TTL from the retention days once terminal', async () => {
    const { repo, clock } = repoWith({ retentionDays: 7 });
    const t = aTask({ owner: `o-${randomUUID()}`, status: 'running' });
    await repo.create(t);
    await repo.update(t.taskId, { status: 'running' }, { status: 'succeeded' });
    const item = await rawItem(`TASK#${t.taskId}`);
    expect(item).not.toHaveProperty('gsiActive');
    expect(item).not.toHaveProperty('gsiOwnerActive');
    expect(item?.gsiOwnerStatus).toBe(`${t.owner}#succeeded`);
    expect(item?.expiresAt).toBe(Math.floor(clock.now() / 1000) + 7 * 86_400);
  });

  it('keeps the status change index keys right without a cached owner', async () => {
    const { repo } = repoWith();
    const t = aTask({ owner: `o-${randomUUID()}` });
    await repo.create(t);
    const fresh = repoWith().repo;
    await fresh.update(t.taskId, { status: 'queued' }, { status: 'running' });
    expect(await rawItem(`TASK#${t.taskId}`)).toMatchObject({
      gsiOwnerStatus: `${t.owner}#running`,
      gsiActive: 'AT_COMFY',
    });
  });

  it('writes an idempotency record with a 24 hour TTL, unambiguous for # in owner and key', async () => {
    const { repo, clock } = repoWith();
    const t = aTask({ owner: `o#${randomUUID()}` });
    await repo.create(t, { key: 'a#b', bodyHash: 'h1' });
    const rec = await rawItem(`IDEM#${encodeURIComponent(t.owner)}#a%23b`);
    expect(rec).toMatchObject({
      taskId: t.taskId,
      bodyHash: 'h1',
      expiresAt: Math.floor(clock.now() / 1000) + 86_400,
    });
  });

  it('moves a workflow too large for the item to the workflow store, and reads it back', async () => {
    const workflowStore = new InMemoryArtifactStore();
    const { repo } = repoWith({ workflowStore, inlineWorkflowMaxBytes: 1024 });
    const t = aTask({ owner: 'alice', workflow: bulkyWorkflow(4096) });
    await repo.create(t);
    const key = `workflows/alice/${t.taskId}.json.gz`;
    expect(workflowStore.keys()).toEqual([key]);
    expect((await rawItem(`TASK#${t.taskId}`))?.workflowKey).toBe(key);
    expect((await repo.get(t.taskId))?.workflow).toEqual(t.workflow);
    const updated = await repo.update(t.taskId, { status: 'queued' }, { status: 'dispatched' });
    expect(updated.workflow).toEqual(t.workflow);
  });

  it('deletes the stored workflow again when the create loses', async () => {
    const workflowStore = new InMemoryArtifactStore();
    const { repo } = repoWith({ workflowStore, inlineWorkflowMaxBytes: 1024 });
    const owner = `o-${randomUUID()}`;
    const first = aTask({ owner, workflow: bulkyWorkflow(4096) });
    await repo.create(first, { key: 'k', bodyHash: 'h' });
    const again = await repo.create(
      { ...aTask({ owner }), workflow: first.workflow },
      {
        key: 'k',
        bodyHash: 'h',
      },
    );
    expect(again.created).toBe(false);
    expect(again.task.workflow).toEqual(first.workflow);
    expect(workflowStore.keys()).toEqual([`workflows/${owner}/${first.taskId}.json.gz`]);
  });

  it('refuses a workflow too large for the item when there is no workflow store', async () => {
    const { repo } = repoWith({ inlineWorkflowMaxBytes: 1024 });
    const t = aTask({ workflow: bulkyWorkflow(4096) });
    await expect(repo.create(t)).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(await repo.get(t.taskId)).toBeUndefined();
  });
});

describe('DynamoTaskRepository failures', () => {
  it('turns an unreachable DynamoDB into DependencyUnavailableError', async () => {
    // A port nothing listens on: the connection is refused at once.
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
    });
    const repo = new DynamoTaskRepository({
      client: DynamoDBDocumentClient.from(client),
      tableName: stack.names.tasksTable,
    });
    await expect(repo.get(randomUUID())).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(repo.listAtComfy()).rejects.toBeInstanceOf(DependencyUnavailableError);
    client.destroy();
  });

  it('turns throttling into DependencyUnavailableError', async () => {
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: stack.endpoints.dynamodb,
      maxAttempts: 1,
    });
    client.middlewareStack.add(
      () => async () => {
        throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
          name: 'ProvisionedThroughputExceededException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        });
      },
      { step: 'finalizeRequest', name: 'throttleEverything' },
    );
    const repo = new DynamoTaskRepository({
      client: DynamoDBDocumentClient.from(client),
      tableName: stack.names.tasksTable,
    });
    await expect(repo.create(aTask())).rejects.toBeInstanceOf(DependencyUnavailableError);
    client.destroy();
  });
});
