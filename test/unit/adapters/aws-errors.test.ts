import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { isTransientAwsError, translateAwsError } from '../../../shared/adapters/aws/errors.js';
import {
  DependencyUnavailableError,
  TaskStateConflictError,
} from '../../../shared/domain/errors.js';

const sdkError = (name: string, status: number, fault: 'client' | 'server' = 'client') =>
  Object.assign(new Error(name), { name, $fault: fault, $metadata: { httpStatusCode: status } });

describe('translateAwsError', () => {
  it('turns throttling, 5xx and network failures into DependencyUnavailableError', () => {
    const throttled = new ProvisionedThroughputExceededException({
      message: 'slow down',
      $metadata: { httpStatusCode: 400 },
    });
    const cases = [
      throttled,
      sdkError('ThrottlingException', 400),
      sdkError('InternalServerError', 500, 'server'),
      sdkError('SomethingNew', 503, 'server'),
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('wrapped'), {
        cause: Object.assign(new Error(), { code: 'ECONNRESET' }),
      }),
    ];
    for (const err of cases) {
      const out = translateAwsError(err, 'DynamoDB (x)');
      expect(out).toBeInstanceOf(DependencyUnavailableError);
      expect((out as Error).cause).toBe(err);
    }
  });

  it('passes domain errors and caller mistakes through unchanged', () => {
    const conflict = new TaskStateConflictError('lost');
    expect(translateAwsError(conflict, 'x')).toBe(conflict);
    const validation = sdkError('ValidationException', 400);
    expect(translateAwsError(validation, 'x')).toBe(validation);
    expect(isTransientAwsError(sdkError('ResourceNotFoundException', 400))).toBe(false);
    expect(isTransientAwsError('nope')).toBe(false);
  });
});
