import { describe, expect, it } from 'vitest';
import {
  errorForStatus,
  rejectionFromBody,
  translateTransportError,
} from '../../../shared/adapters/comfyui/errors.js';
import {
  ComfyRejectedError,
  ComfyRequestError,
  ComfyUnavailableError,
} from '../../../shared/domain/errors.js';
import { fixture } from './fixtures.js';

type Captured = Record<string, { status: number; body: unknown }>;
const bad = fixture<Captured>('bad_prompts.json');
const body = (name: string) => JSON.stringify(bad[name]?.body);

describe('rejectionFromBody', () => {
  it('keeps the error of an unknown class type (no node errors)', () => {
    const err = rejectionFromBody(body('unknown class_type'));
    expect(err).toBeInstanceOf(ComfyRejectedError);
    const r = err as ComfyRejectedError;
    expect(r.code).toBe('COMFYUI_REJECTED');
    expect(r.retryable).toBe(false);
    expect(r.error).toEqual({
      type: 'invalid_prompt',
      message: 'Cannot execute because node NoSuchNode does not exist.',
      details: "Node ID '#1'",
    });
    expect(r.nodeErrors).toEqual([]);
  });

  it('keeps every node error with class type, type, message, details and input name', () => {
    const r = rejectionFromBody(body('missing required input')) as ComfyRejectedError;
    expect(r.error.type).toBe('prompt_outputs_failed_validation');
    expect(r.nodeErrors).toEqual([
      {
        nodeId: '2',
        classType: 'SaveImage',
        errors: [
          {
            type: 'required_input_missing',
            message: 'Required input is missing',
            details: 'images',
            inputName: 'images',
          },
        ],
      },
    ]);
  });

  it.each([
    ['bad value type', 'invalid_input_type', 'width'],
    ['value out of range', 'value_smaller_than_min', 'width'],
    ['LoadImage of missing file', 'custom_validation_failed', 'image'],
    ['checkpoint not in list', 'value_not_in_list', 'ckpt_name'],
  ])('reads the captured 400 for %s', (name, type, input) => {
    const r = rejectionFromBody(body(name)) as ComfyRejectedError;
    expect(r).toBeInstanceOf(ComfyRejectedError);
    expect(r.nodeErrors[0]?.errors[0]).toMatchObject({ type, inputName: input });
  });

  it('reads no_prompt, prompt_no_outputs and exception_during_validation', () => {
    expect((rejectionFromBody(body("no 'prompt' key")) as ComfyRejectedError).error.type).toBe(
      'no_prompt',
    );
    expect((rejectionFromBody(body('no output node')) as ComfyRejectedError).error.type).toBe(
      'prompt_no_outputs',
    );
    const link = rejectionFromBody(body('link to missing node')) as ComfyRejectedError;
    expect(link.nodeErrors[0]?.errors[0]?.type).toBe('exception_during_validation');
  });

  it('turns a 400 that is not ComfyUI JSON (a proxy page) into a request error', () => {
    const err = rejectionFromBody('<html>bad request</html>');
    expect(err).toBeInstanceOf(ComfyRequestError);
    expect(err.code).toBe('COMFYUI_REQUEST_FAILED');
  });
});

describe('errorForStatus', () => {
  it('makes 5xx retryable and 4xx permanent, 404 with its own code', () => {
    const e500 = errorForStatus(
      500,
      'POST /prompt',
      '500 Internal Server Error\n\nServer got itself in trouble',
    );
    expect(e500).toBeInstanceOf(ComfyUnavailableError);
    expect(e500.retryable).toBe(true);
    expect(errorForStatus(503, 'GET /queue', '')).toBeInstanceOf(ComfyUnavailableError);
    const e404 = errorForStatus(404, 'GET /view', '');
    expect(e404).toBeInstanceOf(ComfyRequestError);
    expect(e404.code).toBe('COMFYUI_NOT_FOUND');
    expect(e404.retryable).toBe(false);
    expect(errorForStatus(403, 'GET /view', '').code).toBe('COMFYUI_REQUEST_FAILED');
  });
});

describe('translateTransportError', () => {
  it.each([
    'ECONNREFUSED',
    'ECONNRESET',
    'UND_ERR_SOCKET',
    'UND_ERR_CONNECT_TIMEOUT',
    'UND_ERR_HEADERS_TIMEOUT',
    'UND_ERR_BODY_TIMEOUT',
  ])('makes %s a retryable ComfyUnavailableError', (code) => {
    const err = translateTransportError(Object.assign(new Error('x'), { code }), 'GET /queue');
    expect(err).toBeInstanceOf(ComfyUnavailableError);
    expect((err as ComfyUnavailableError).retryable).toBe(true);
  });

  it('looks through AggregateError and cause chains, and leaves argument errors alone', () => {
    const agg = new AggregateError(
      [Object.assign(new Error('a'), { code: 'ECONNREFUSED' })],
      'connect failed',
    );
    expect(translateTransportError(agg, 'GET /')).toBeInstanceOf(ComfyUnavailableError);
    const bug = Object.assign(new TypeError('bad'), { code: 'UND_ERR_INVALID_ARG' });
    expect(translateTransportError(bug, 'GET /')).toBe(bug);
  });
});
