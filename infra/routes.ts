/**
 * The HTTP API's routes, described once: the CDK stateless stack and the local API server both build
 * from this list. `fn` is the folder under functions/ whose index.ts exports the handler.
 */
export interface RouteSpec {
  method: 'GET' | 'POST';
  /** API Gateway route path (HTTP API syntax: `{param}`). */
  path: string;
  fn: string;
  /** Every route is authenticated; listed for clarity. */
  auth: true;
}

export const API_ROUTES: readonly RouteSpec[] = [
  { method: 'POST', path: '/v1/tasks', fn: 'submit', auth: true },
  { method: 'GET', path: '/v1/tasks', fn: 'list', auth: true },
  { method: 'GET', path: '/v1/tasks/{taskId}', fn: 'status', auth: true },
  { method: 'POST', path: '/v1/tasks/{taskId}/cancel', fn: 'cancel', auth: true },
  { method: 'GET', path: '/v1/templates', fn: 'templates', auth: true },
  { method: 'GET', path: '/v1/models', fn: 'models', auth: true },
  { method: 'POST', path: '/v1/uploads', fn: 'create-upload', auth: true },
];

/**
 * The status function's timeout: long polling (GET /v1/tasks/{id}?wait=20) plus reading and
 * presigning, inside API Gateway's 30 s integration limit.
 */
export const STATUS_TIMEOUT_SECONDS = 28;

/** Functions that are not behind a route. */
export const WORKER_FUNCTIONS = ['authorizer', 'dispatcher', 'dead-letter', 'poller'] as const;

/**
 * How API Gateway authorises every route in API-key mode: the `authorizer` function as an HTTP API
 * Lambda REQUEST authorizer (payload 2.0, simple responses). A request without the identity source
 * is a 401 without calling it; `isAuthorized: false` is a 403. Verdicts are cached per key for the
 * TTL (the CDK default, infra/constructs/task-api.ts), so a revoked key works for up to that long.
 */
export const API_KEY_AUTHORIZER = {
  fn: 'authorizer',
  identitySource: ['$request.header.x-api-key'],
  resultsCacheTtlSeconds: 300,
} as const;

/** JWT mode: API Gateway's JWT authorizer reads the bearer token from this header. */
export const JWT_AUTHORIZER = { identitySource: ['$request.header.Authorization'] } as const;
