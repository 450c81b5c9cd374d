/** The templates function's dependencies: the template catalog (no AWS client at all). */
import type { ConfigOf } from '../../shared/manifest.js';
import { logger, metrics } from '../../shared/observability.js';
import { loadTemplateCatalog } from '../../shared/templates/catalog.js';
import type { TemplatesHandlerDeps } from './handler.js';
import type { manifest } from './manifest.js';

export function buildDeps(config: ConfigOf<typeof manifest>): TemplatesHandlerDeps {
  logger.setLogLevel(config.LOG_LEVEL);
  return { templates: loadTemplateCatalog(config.TEMPLATES_DIR), obs: { logger, metrics } };
}
