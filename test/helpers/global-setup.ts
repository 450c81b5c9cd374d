/**
 * Starts the AWS emulators once for the integration project and hands their endpoints to the tests
 * (`inject('dynamodbEndpoint')`, `inject('s3SqsEndpoint')`). Each test file creates its own uniquely
 * named resources through `test/helpers/stack.ts`.
 */
import type { TestProject } from 'vitest/node';
import { startDynamoLocal, startS3Sqs } from '../../infra/local/emulators.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    s3SqsEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  const [ddb, fauxqs] = await Promise.all([startDynamoLocal(), startS3Sqs()]);
  project.provide('dynamodbEndpoint', ddb.endpoint);
  project.provide('s3SqsEndpoint', fauxqs.endpoint);
  return async () => {
    await Promise.all([ddb.stop(), fauxqs.stop()]);
  };
}
