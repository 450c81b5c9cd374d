/** `npm run openapi`: writes docs/openapi.json from the zod schemas (shared/http/schemas.ts). */
import { writeFileSync } from 'node:fs';
import { buildOpenApi } from '../shared/http/openapi.js';

const path = new URL('../docs/openapi.json', import.meta.url);
writeFileSync(path, `${JSON.stringify(buildOpenApi(), null, 2)}\n`);
console.log(`wrote ${path.pathname}`);
