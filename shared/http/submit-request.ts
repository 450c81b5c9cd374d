/**
 * Reading a POST /v1/tasks body. The workflow is checked by the workflow validator first, so a UI-format
 * graph, a dangling link or too many nodes get their own codes; then the request schema checks the
 * rest (unknown fields, template name, metadata); then the metadata size.
 */
import { InvalidRequestError } from '../domain/errors.js';
import type { OutputFormat } from '../domain/output-format.js';
import type { WebhookEventType } from '../domain/webhook.js';
import { validateWorkflow } from '../workflow/validate-workflow.js';
import { parseInput } from './request.js';
import {
  MAX_METADATA_BYTES,
  SubmitTemplateRequest,
  SubmitWorkflowRequest,
} from './submit-schemas.js';

export interface SubmitRequest {
  workflow?: unknown;
  template?: string;
  params?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  output?: OutputFormat;
  webhook?: { url: string; events?: WebhookEventType[] };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseSubmitRequest(body: unknown): SubmitRequest {
  if (!isObject(body) || 'workflow' in body === 'template' in body) {
    throw new InvalidRequestError(
      'Send a JSON object with either "workflow" (a ComfyUI API-format graph) or "template" and "params".',
      { issues: [{ path: ['body'], message: 'expected exactly one of workflow, template' }] },
    );
  }
  let request: SubmitRequest;
  if ('workflow' in body) {
    validateWorkflow(body.workflow, ['body', 'workflow']);
    request = parseInput(SubmitWorkflowRequest, body, 'body');
  } else {
    request = parseInput(SubmitTemplateRequest, body, 'body');
  }
  if (request.metadata !== undefined) {
    const size = Buffer.byteLength(JSON.stringify(request.metadata), 'utf8');
    if (size > MAX_METADATA_BYTES) {
      throw new InvalidRequestError(
        `metadata is ${size} bytes as JSON; at most ${MAX_METADATA_BYTES} are allowed.`,
        {
          limit: MAX_METADATA_BYTES,
          issues: [{ path: ['body', 'metadata'], message: 'too large' }],
        },
        'METADATA_TOO_LARGE',
      );
    }
  }
  return request;
}
