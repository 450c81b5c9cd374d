import { defineConfig } from 'vitest/config';

/**
 * Three projects: `unit` (in-memory fakes, no network), `integration` (real SDK clients against
 * DynamoDB Local + fauxqs started by the global setup, and the ComfyUI stand-in), `infra` (CDK
 * assertions). `npm test` runs them all.
 */
export default defineConfig({
  test: {
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.int.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          env: {
            AWS_ACCESS_KEY_ID: 'test',
            AWS_SECRET_ACCESS_KEY: 'test',
            AWS_REGION: 'us-east-1',
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          },
        },
      },
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          // CDK synth in beforeAll takes >10 s on 2 cores while the other projects run.
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
