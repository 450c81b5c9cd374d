import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/templates/handler.js';
import { apiTestDeps } from '../../helpers/api-deps.js';
import { apiEvent, bodyOf, lambdaContext } from '../../helpers/api-events.js';

describe('GET /v1/templates', () => {
  it('lists the templates with the JSON Schema of their params', async () => {
    const res = await createHandler(apiTestDeps())(
      apiEvent({ path: '/v1/templates' }),
      lambdaContext(),
    );
    expect(res.statusCode).toBe(200);
    const img = bodyOf(res).items.find((t: { name: string }) => t.name === 'img2img');
    expect(img.params.required).toEqual(['image', 'prompt']);
    expect(img.params.properties.denoise).toMatchObject({ type: 'number', minimum: 0, maximum: 1 });
  });

  it('answers 401 without an owner', async () => {
    const res = await createHandler(apiTestDeps())(apiEvent({ owner: null }), lambdaContext());
    expect(res.statusCode).toBe(401);
    expect(bodyOf(res)).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
  });
});
