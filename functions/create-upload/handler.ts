import { type ApiObservability, apiHandler } from '../../shared/http/api-handler.js';
import { parseInput } from '../../shared/http/request.js';
import { CreateUploadRequest } from '../../shared/http/request-schemas.js';
import { json } from '../../shared/http/responses.js';
import { type CreateUploadDeps, createUpload } from '../../shared/use-cases/create-upload.js';

export type CreateUploadHandlerDeps = CreateUploadDeps & { obs: ApiObservability };

/** POST /v1/uploads -> 201 { uploadId, url, expiresAt, maxBytes, headers }. */
export const createHandler = (deps: CreateUploadHandlerDeps) =>
  apiHandler(deps.obs, { jsonBody: true }, async ({ owner, body }) => {
    const input = parseInput(CreateUploadRequest, body, 'body', {
      codeFor: { contentType: 'UNSUPPORTED_UPLOAD_TYPE' },
    });
    const upload = await createUpload(deps, { owner, ...input });
    deps.obs.logger.info('upload created', { uploadId: upload.uploadId, size: input.size });
    return json(201, upload);
  });
