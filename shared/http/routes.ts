/**
 * The HTTP API's routes, declared once: method, path, and the request/response schemas and docs the
 * OpenAPI document (openapi.ts) is generated from. Each function's manifest names the routes it
 * serves; the CDK stack and the local API server bind them to that function. Every route is behind
 * the API's authorizer.
 */
import type * as z from 'zod';
import * as S from './schemas.js';

export interface RouteSpec {
  readonly method: 'GET' | 'POST';
  /** API Gateway route path (HTTP API syntax: `{param}`). */
  readonly path: string;
  /** Every route is behind the API's authorizer; listed for clarity. */
  readonly auth: true;
  readonly summary: string;
  readonly request?: z.core.$ZodType;
  readonly pathParams?: z.core.$ZodObject;
  readonly query?: z.core.$ZodObject;
  readonly idempotencyKey?: boolean;
  /** status -> response schema id (in openapi.ts `RESPONSES`) */
  readonly ok: Readonly<Record<number, { schema: string; description: string }>>;
  /** Every route may answer 429: the stage throttle and the owner's rate limit apply to all. */
  readonly errors: readonly number[];
}

export const ROUTES = {
  submitTask: {
    method: 'POST',
    path: '/v1/tasks',
    auth: true,
    summary: 'Submit a workflow (API format) or a template with params',
    request: S.SubmitTaskRequest,
    idempotencyKey: true,
    ok: { 202: { schema: 'SubmitTaskResponse', description: 'Queued (or the same task again)' } },
    errors: [400, 401, 404, 409, 413, 415, 429, 503],
  },
  listTasks: {
    method: 'GET',
    path: '/v1/tasks',
    auth: true,
    summary: "List the caller's tasks, newest first",
    query: S.ListTasksQuery,
    ok: { 200: { schema: 'ListTasksResponse', description: 'A page of tasks' } },
    errors: [400, 401, 429],
  },
  getTask: {
    method: 'GET',
    path: '/v1/tasks/{taskId}',
    auth: true,
    summary: "A task's status, progress, error and outputs (long polling with `wait`)",
    pathParams: S.TaskPath,
    query: S.GetTaskQuery,
    ok: { 200: { schema: 'TaskView', description: 'The task' } },
    errors: [400, 401, 404, 429],
  },
  cancelTask: {
    method: 'POST',
    path: '/v1/tasks/{taskId}/cancel',
    auth: true,
    summary: 'Cancel a task',
    pathParams: S.TaskPath,
    ok: {
      200: { schema: 'TaskView', description: 'Cancelled (now or before)' },
      202: { schema: 'TaskView', description: 'Marked for cancellation at ComfyUI' },
    },
    errors: [400, 401, 404, 409, 429],
  },
  listTemplates: {
    method: 'GET',
    path: '/v1/templates',
    auth: true,
    summary: 'The templates and the JSON Schema of their params',
    ok: { 200: { schema: 'TemplatesResponse', description: 'The templates' } },
    errors: [401, 429],
  },
  listModels: {
    method: 'GET',
    path: '/v1/models',
    auth: true,
    summary: 'The model names the ComfyUI servers have, per folder',
    ok: { 200: { schema: 'ModelsResponse', description: 'Model names by folder' } },
    errors: [401, 429],
  },
  createUpload: {
    method: 'POST',
    path: '/v1/uploads',
    auth: true,
    summary: 'Announce an input image and get a presigned PUT for it',
    request: S.CreateUploadRequest,
    ok: { 201: { schema: 'CreateUploadResponse', description: 'Where to PUT the image' } },
    errors: [400, 401, 413, 415, 429],
  },
} as const satisfies Record<string, RouteSpec>;

/** The name of a route (its OpenAPI operationId). */
export type RouteName = keyof typeof ROUTES;

/** JWT mode: API Gateway's JWT authorizer reads the bearer token from this header. */
export const JWT_IDENTITY_SOURCE = ['$request.header.Authorization'] as const;

/** The stage-wide throttle: requests per second and burst (deployment settings may change it). */
export const API_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;

/** CORS of the API when browser origins are configured (the origins come from the deployment). */
export const API_CORS = {
  allowMethods: ['GET', 'POST', 'OPTIONS'],
  allowHeaders: ['content-type', 'authorization', 'x-api-key', 'idempotency-key'],
  maxAgeSeconds: 3600,
} as const;
