import type { CatalogSource } from '../../shared/catalog/catalog-cache.js';
import { modelsOf } from '../../shared/catalog/node-catalog.js';
import { type ApiObservability, apiHandler } from '../../shared/http/api-handler.js';
import { json } from '../../shared/http/responses.js';

export interface ModelsHandlerDeps {
  catalog: CatalogSource;
  obs: ApiObservability;
}

/**
 * GET /v1/models -> 200 { models: { <folder>: [names] } }: the model files the ComfyUI servers have,
 * from the published node catalogue (a name is listed when every server has it). Before the first
 * catalogue is published (fresh deploy, GPU not up yet) the folders are empty: `{ models: {} }`.
 */
export const createHandler = (deps: ModelsHandlerDeps) =>
  apiHandler(deps.obs, {}, async () => {
    const catalog = await deps.catalog();
    return json(200, { models: catalog ? modelsOf(catalog) : {} });
  });
