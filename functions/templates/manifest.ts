/** GET /v1/templates: the built-in templates (and TEMPLATES_DIR's) with their params' schemas. */
import { defineFunction } from '../../shared/manifest.js';

export const manifest = defineFunction({
  name: 'templates',
  description: 'GET /v1/templates',
  trigger: { kind: 'http', routes: ['listTemplates'] },
  timeoutSeconds: 10,
  memoryMb: 512,
  vpc: false,
  config: ['TEMPLATES_DIR', 'LOG_LEVEL'],
  resources: [],
});
