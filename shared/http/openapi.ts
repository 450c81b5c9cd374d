/**
 * The OpenAPI 3.1 document, generated from the route declarations in `routes.ts` and the zod schemas
 * in `schemas.ts`. `npm run openapi` writes it to docs/openapi.json; a test checks the committed file.
 */
import * as z from 'zod';
import { ROUTES, type RouteSpec } from './routes.js';
import * as S from './schemas.js';

type Json = Record<string, unknown>;

const REQUESTS: Record<string, z.core.$ZodType> = {
  SubmitTaskRequest: S.SubmitTaskRequest,
  SubmitWorkflowRequest: S.SubmitWorkflowRequest,
  SubmitTemplateRequest: S.SubmitTemplateRequest,
  CreateUploadRequest: S.CreateUploadRequest,
};
const RESPONSES: Record<string, z.ZodType> = {
  ErrorResponse: S.ErrorResponse,
  SubmitTaskResponse: S.SubmitTaskResponse,
  TaskView: S.TaskView,
  OutputView: S.OutputView,
  ListTasksResponse: S.ListTasksResponse,
  TemplatesResponse: S.TemplatesResponse,
  ModelsResponse: S.ModelsResponse,
  CreateUploadResponse: S.CreateUploadResponse,
};

function components(schemas: Record<string, z.core.$ZodType>, io: 'input' | 'output'): Json {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const out = z.toJSONSchema(registry, {
    io,
    target: 'draft-2020-12',
    uri: (id) => `#/components/schemas/${id}`,
  }).schemas as Record<string, Json>;
  for (const s of Object.values(out)) {
    delete s.$schema;
    delete s.$id;
  }
  return out;
}

function parameters(where: 'path' | 'query', schema: z.core.$ZodObject): Json[] {
  const js = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }) as Json;
  const props = (js.properties ?? {}) as Record<string, Json>;
  const required = new Set((js.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, schema]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema,
  }));
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const jsonContent = (id: string) => ({ 'application/json': { schema: ref(id) } });

function operation(operationId: string, doc: RouteSpec, requestId?: string): Json {
  const params = [
    ...(doc.pathParams ? parameters('path', doc.pathParams) : []),
    ...(doc.query ? parameters('query', doc.query) : []),
    ...(doc.idempotencyKey
      ? [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            description: 'Same key and body: the same task. Same key, other body: 409.',
            schema: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7e]+$' },
          },
        ]
      : []),
  ];
  const responses: Json = {};
  for (const [status, r] of Object.entries(doc.ok)) {
    responses[status] = { description: r.description, content: jsonContent(r.schema) };
  }
  for (const status of doc.errors) {
    responses[String(status)] = { $ref: '#/components/responses/Error' };
  }
  return {
    operationId,
    summary: doc.summary,
    ...(params.length ? { parameters: params } : {}),
    ...(requestId ? { requestBody: { required: true, content: jsonContent(requestId) } } : {}),
    responses,
  };
}

export function buildOpenApi(): Json {
  const requestIds = new Map(Object.entries(REQUESTS).map(([id, s]) => [s, id]));
  const paths: Record<string, Json> = {};
  for (const [operationId, route] of Object.entries(ROUTES) as [string, RouteSpec][]) {
    const requestId = route.request ? requestIds.get(route.request) : undefined;
    paths[route.path] = {
      ...(paths[route.path] ?? {}),
      [route.method.toLowerCase()]: operation(operationId, route, requestId),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'comfy-serverless task API',
      version: '1.0.0',
      description: 'Run ComfyUI workflows as durable tasks. See docs/api.md.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        description:
          'A deployed stack: the HTTP API default endpoint (`cdk deploy` prints its URL as ApiUrl).',
        variables: {
          apiId: { default: 'abc123defg', description: 'The HTTP API id.' },
          region: { default: 'us-east-1', description: 'The AWS region of the stack.' },
        },
      },
      { url: 'http://127.0.0.1:3000', description: 'The local stack that `npm start` runs.' },
    ],
    security: [{ apiKey: [] }, { bearer: [] }],
    paths,
    components: {
      schemas: { ...components(REQUESTS, 'input'), ...components(RESPONSES, 'output') },
      responses: {
        Error: {
          description: 'The error body every failure has (see docs/api.md for the codes).',
          content: jsonContent('ErrorResponse'),
        },
      },
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
    },
  };
}
