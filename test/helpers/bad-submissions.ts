/**
 * Every kind of bad POST /v1/tasks, with the status and code it must get. Used by the handler
 * tests (fakes) and the integration tests (real adapters), which both check nothing was written.
 */
import { MAX_WORKFLOW_NODES } from '../../shared/workflow/validate-workflow.js';
import { tinyWorkflow } from '../fakes/tasks.js';

export interface BadSubmission {
  name: string;
  /** An object is sent as JSON; a string as is. */
  body: unknown;
  status: number;
  code: string;
  headers?: Record<string, string>;
}

const nodes = (n: number) =>
  Object.fromEntries(
    Array.from({ length: n }, (_, i) => [String(i), { class_type: 'X', inputs: {} }]),
  );
const UNKNOWN_UPLOAD = '0b7c4a52-4f0e-4b7a-9d0a-1c2b3d4e5f60';

export const BAD_SUBMISSIONS: readonly BadSubmission[] = [
  { name: 'malformed JSON', body: '{"workflow": {', status: 400, code: 'INVALID_JSON' },
  { name: 'an empty body', body: '', status: 400, code: 'INVALID_JSON' },
  {
    name: 'a body that is not JSON-typed',
    body: 'workflow=1',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    headers: { 'content-type': 'text/plain' },
  },
  { name: 'a JSON array', body: [], status: 400, code: 'INVALID_REQUEST' },
  {
    name: 'neither workflow nor template',
    body: { metadata: {} },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'both workflow and template',
    body: { workflow: tinyWorkflow(), template: 'txt2img' },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'a UI-format workflow',
    body: { workflow: { last_node_id: 2, nodes: [{ id: 1 }], links: [], version: 0.4 } },
    status: 400,
    code: 'UI_FORMAT_WORKFLOW',
  },
  {
    name: 'a workflow that is not an object',
    body: { workflow: [1, 2] },
    status: 400,
    code: 'INVALID_WORKFLOW',
  },
  {
    name: 'a node without class_type',
    body: { workflow: { '1': { inputs: {} } } },
    status: 400,
    code: 'INVALID_WORKFLOW',
  },
  {
    name: 'a node without inputs',
    body: { workflow: { '1': { class_type: 'X' } } },
    status: 400,
    code: 'INVALID_WORKFLOW',
  },
  {
    name: 'a dangling link',
    body: { workflow: { '1': { class_type: 'X', inputs: { a: ['7', 0] } } } },
    status: 400,
    code: 'DANGLING_LINK',
  },
  {
    name: `${MAX_WORKFLOW_NODES + 1} nodes`,
    body: { workflow: nodes(MAX_WORKFLOW_NODES + 1) },
    status: 400,
    code: 'TOO_MANY_NODES',
  },
  {
    name: 'a body over 1 MiB',
    body: { workflow: { '1': { class_type: 'X', inputs: { t: 'x'.repeat(1024 * 1024) } } } },
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'an unknown template',
    body: { template: 'nope', params: {} },
    status: 404,
    code: 'TEMPLATE_NOT_FOUND',
  },
  {
    name: 'a malformed template name',
    body: { template: 'Bad Name!' },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'params outside the schema',
    body: { template: 'txt2img', params: { prompt: 'x', steps: 0 } },
    status: 400,
    code: 'INVALID_PARAMS',
  },
  {
    name: 'an unknown param',
    body: { template: 'txt2img', params: { prompt: 'x', colour: 'red' } },
    status: 400,
    code: 'INVALID_PARAMS',
  },
  {
    name: 'an unknown field',
    body: { workflow: tinyWorkflow(), priority: 1 },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'metadata that is not an object',
    body: { workflow: tinyWorkflow(), metadata: 'x' },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'oversized metadata',
    body: { workflow: tinyWorkflow(), metadata: { a: 'x'.repeat(5000) } },
    status: 400,
    code: 'METADATA_TOO_LARGE',
  },
  {
    name: 'a malformed upload reference',
    body: { workflow: { '1': { class_type: 'LoadImage', inputs: { image: 'upload:x' } } } },
    status: 400,
    code: 'INVALID_UPLOAD_REFERENCE',
  },
  {
    name: 'an unknown upload',
    body: { template: 'img2img', params: { prompt: 'x', image: UNKNOWN_UPLOAD } },
    status: 404,
    code: 'UPLOAD_NOT_FOUND',
  },
  {
    name: 'an empty Idempotency-Key',
    body: { workflow: tinyWorkflow() },
    status: 400,
    code: 'INVALID_IDEMPOTENCY_KEY',
    headers: { 'idempotency-key': '' },
  },
  {
    name: 'an Idempotency-Key with spaces',
    body: { workflow: tinyWorkflow() },
    status: 400,
    code: 'INVALID_IDEMPOTENCY_KEY',
    headers: { 'idempotency-key': 'a b' },
  },
  {
    name: 'an Idempotency-Key over 128 characters',
    body: { workflow: tinyWorkflow() },
    status: 400,
    code: 'INVALID_IDEMPOTENCY_KEY',
    headers: { 'Idempotency-Key': 'k'.repeat(129) },
  },
];
