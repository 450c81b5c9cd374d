/**
 * HTTP API route selection: the method must match and every segment must match literally, except
 * `{name}` (one segment) and `{name+}` (the rest of the path). No match is API Gateway's 404.
 */
import type { BoundRoute } from '../../../functions/manifests.js';

/** What matching needs of a route. */
export type LocalRoute = Pick<BoundRoute, 'method' | 'path' | 'fn' | 'auth'>;

export interface MatchedRoute {
  route: LocalRoute;
  /** API Gateway's route key, e.g. `GET /v1/tasks/{taskId}`. */
  routeKey: string;
  pathParameters?: Record<string, string>;
}

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const greedy = /^\{(.+)\+\}$/.exec(w);
    if (greedy) {
      const rest = got.slice(i).join('/');
      if (!rest) return undefined;
      params[greedy[1] as string] = decode(rest);
      return params;
    }
    const g = got[i];
    if (g === undefined) return undefined;
    const param = /^\{(.+)\}$/.exec(w);
    if (param) {
      if (!g) return undefined;
      params[param[1] as string] = decode(g);
    } else if (w !== g) {
      return undefined;
    }
  }
  return got.length === want.length ? params : undefined;
}

export function matchRoute(
  routes: readonly LocalRoute[],
  method: string,
  path: string,
): MatchedRoute | undefined {
  // Literal routes win over parameterised ones, as in API Gateway.
  const ordered = [...routes].sort(
    (a, b) => Number(a.path.includes('{')) - Number(b.path.includes('{')),
  );
  for (const route of ordered) {
    if (route.method !== method.toUpperCase()) continue;
    const params = matchPath(route.path, path);
    if (!params) continue;
    return {
      route,
      routeKey: `${route.method} ${route.path}`,
      ...(Object.keys(params).length ? { pathParameters: params } : {}),
    };
  }
  return undefined;
}
