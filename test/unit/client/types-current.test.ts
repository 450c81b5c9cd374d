import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_TYPES_PATH,
  OPENAPI_PATH,
  renderClientTypes,
} from '../../../scripts/client-types.js';

describe('the TypeScript client types', () => {
  it('are generated from the current docs/openapi.json (run `npm run client:types` after changing it)', () => {
    const openapi = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8'));
    expect(readFileSync(CLIENT_TYPES_PATH, 'utf8')).toBe(renderClientTypes(openapi));
  });

  it('follow a change in the document', () => {
    const openapi = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8'));
    openapi.components.schemas.TaskView.properties.extraField = {
      type: 'integer',
      description: 'x',
    };
    expect(renderClientTypes(openapi)).toMatch(/\/\*\* x \*\/\n {2}extraField\?: number;/);
  });

  it('cover every operation of the document', () => {
    const openapi = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8'));
    const text = readFileSync(CLIENT_TYPES_PATH, 'utf8');
    for (const methods of Object.values(openapi.paths) as Record<
      string,
      { operationId: string }
    >[]) {
      for (const op of Object.values(methods)) expect(text).toContain(`  ${op.operationId}: {`);
    }
  });
});
