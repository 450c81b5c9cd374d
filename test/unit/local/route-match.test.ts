import { describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../../functions/manifests.js';
import { matchRoute } from '../../../infra/local/api/route-match.js';

describe('matchRoute (HTTP API route selection)', () => {
  it('matches literal routes by method and path', () => {
    expect(matchRoute(API_ROUTES, 'POST', '/v1/tasks')).toMatchObject({
      routeKey: 'POST /v1/tasks',
      route: { fn: 'submit' },
    });
    expect(matchRoute(API_ROUTES, 'GET', '/v1/tasks')?.route.fn).toBe('list');
  });

  it('extracts and decodes path parameters', () => {
    const m = matchRoute(API_ROUTES, 'POST', '/v1/tasks/ab%20c/cancel');
    expect(m?.routeKey).toBe('POST /v1/tasks/{taskId}/cancel');
    expect(m?.pathParameters).toEqual({ taskId: 'ab c' });
  });

  it('returns nothing for an unknown path, a wrong method, a trailing slash or an empty segment', () => {
    expect(matchRoute(API_ROUTES, 'GET', '/v1/nope')).toBeUndefined();
    expect(matchRoute(API_ROUTES, 'DELETE', '/v1/tasks')).toBeUndefined();
    expect(matchRoute(API_ROUTES, 'GET', '/v1/tasks/')).toBeUndefined();
    expect(matchRoute(API_ROUTES, 'POST', '/v1/tasks//cancel')).toBeUndefined();
  });

  it('supports greedy {proxy+} parameters', () => {
    const routes = [
      { method: 'GET' as const, path: '/files/{key+}', fn: 'x', auth: true as const },
    ];
    expect(matchRoute(routes, 'GET', '/files/a/b/c')?.pathParameters).toEqual({ key: 'a/b/c' });
    expect(matchRoute(routes, 'GET', '/files/')).toBeUndefined();
  });
});
