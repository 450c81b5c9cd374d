import { type ApiObservability, apiHandler } from '../../shared/http/api-handler.js';
import { json } from '../../shared/http/responses.js';
import type { TemplateCatalog } from '../../shared/templates/catalog.js';

export interface TemplatesHandlerDeps {
  templates: TemplateCatalog;
  obs: ApiObservability;
}

/** GET /v1/templates -> 200 { items: [{ name, description, params (JSON Schema) }] }. */
export const createHandler = (deps: TemplatesHandlerDeps) =>
  apiHandler(deps.obs, {}, async () => json(200, { items: deps.templates.list() }));
