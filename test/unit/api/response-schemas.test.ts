import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { createHandler as createCancel } from '../../../functions/cancel/handler.js';
import { createHandler as createUpload } from '../../../functions/create-upload/handler.js';
import { createHandler as createList } from '../../../functions/list/handler.js';
import { createHandler as createStatus } from '../../../functions/status/handler.js';
import { createHandler as createSubmit } from '../../../functions/submit/handler.js';
import { createHandler as createTemplates } from '../../../functions/templates/handler.js';
import * as S from '../../../shared/http/schemas.js';
import { aTask, tinyWorkflow } from '../../fakes/tasks.js';
import { apiTestDeps } from '../../helpers/api-deps.js';
import { apiEvent, bodyOf, lambdaContext } from '../../helpers/api-events.js';

/** The body fits the documented schema and has no field the schema does not name. */
const conforms = (schema: z.ZodType, body: unknown) => {
  const parsed = schema.safeParse(body);
  expect(parsed.error?.issues ?? []).toEqual([]);
  expect(parsed.data).toEqual(body);
};

describe('handler responses match the documented (OpenAPI) schemas', () => {
  it('for every route', async () => {
    // Prepare
    const deps = apiTestDeps();
    const done = aTask({
      status: 'failed',
      startedAt: deps.clock.iso(),
      finishedAt: deps.clock.iso(),
      error: {
        code: 'COMFYUI_REJECTED',
        message: 'no',
        nodeId: '3',
        nodeType: 'KSampler',
        details: {},
      },
      metadata: { a: [1] },
      outputs: [
        {
          nodeId: '9',
          filename: 'a.png',
          subfolder: '',
          type: 'output',
          s3Key: 'outputs/alice/x/9/a.png',
          contentType: 'image/png',
          size: 1,
        },
      ],
    });
    deps.tasks.seed(done, aTask({ status: 'running' }));
    const ctx = lambdaContext();
    // Act
    const submitted = await createSubmit(deps)(
      apiEvent({ method: 'POST', body: { workflow: tinyWorkflow() } }),
      ctx,
    );
    const status = await createStatus(deps)(
      apiEvent({ pathParameters: { taskId: done.taskId } }),
      ctx,
    );
    const list = await createList(deps)(apiEvent({ query: { limit: '1' } }), ctx);
    const cancel = await createCancel(deps)(
      apiEvent({ method: 'POST', pathParameters: { taskId: bodyOf(submitted).taskId } }),
      ctx,
    );
    const templates = await createTemplates(deps)(apiEvent(), ctx);
    const upload = await createUpload(deps)(
      apiEvent({ method: 'POST', body: { filename: 'a.png', contentType: 'image/png', size: 10 } }),
      ctx,
    );
    const error = await createStatus(deps)(apiEvent({ pathParameters: { taskId: 'x' } }), ctx);
    // Assess
    conforms(S.SubmitTaskResponse, bodyOf(submitted));
    conforms(S.TaskView, bodyOf(status));
    conforms(S.ListTasksResponse, bodyOf(list));
    expect(bodyOf(list).nextCursor).toEqual(expect.any(String));
    conforms(S.TaskView, bodyOf(cancel));
    conforms(S.TemplatesResponse, bodyOf(templates));
    conforms(S.CreateUploadResponse, bodyOf(upload));
    conforms(S.ErrorResponse, bodyOf(error));
  });
});
