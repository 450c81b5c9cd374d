/**
 * `/__standin/*`: the control API over HTTP, for a stand-in in another process (`cli.ts`).
 *   GET  /__standin/state            GET  /__standin/runs[?promptId=]
 *   POST /__standin/execution-ms     {"ms":500} or {"ms":500,"promptId":"..."}
 *   POST /__standin/node-time        {"classType":"ImageBlur","ms":1500}
 *   POST /__standin/fail-node        {"classType"?,"nodeId"?,"promptId"?,"message"?,"exceptionType"?,"count"?}
 *   DELETE /__standin/fail-node
 *   POST /__standin/faults           {"route":"/history"|"*","routePattern"?:"regex","method"?,"kind":"status|latency|drop|reset|hang|truncate","status"?,"ms"?,"afterBytes"?,"probability"?,"count"?} -> {"id"}
 *   DELETE /__standin/faults[?id=]
 *   POST /__standin/restart          {"downtimeMs"?:0}
 *   POST /__standin/idle             answers once nothing is queued or running
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StandInControl } from './control.js';
import type { FaultRule } from './faults.js';
import { HttpError, readJson } from './http-util.js';

const send = (res: ServerResponse, value: unknown, status = 200) => {
  const body = JSON.stringify(value ?? null);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
};

export async function handleControlRoute(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  control: StandInControl,
): Promise<void> {
  const route = `${req.method} ${url.pathname.slice('/__standin'.length)}`;
  const body = async () => {
    if (req.method !== 'POST') return {};
    const j = await readJson(req, 1024 * 1024).catch(() => ({}));
    return (j && typeof j === 'object' ? j : {}) as Record<string, unknown>;
  };
  switch (route) {
    case 'GET /state':
      return send(res, control.state());
    case 'GET /runs': {
      const id = url.searchParams.get('promptId');
      return send(res, id ? (control.run(id) ?? null) : control.runs());
    }
    case 'POST /execution-ms': {
      const b = await body();
      if (typeof b.promptId === 'string') control.setExecutionMsFor(b.promptId, Number(b.ms));
      else control.setExecutionMs(Number(b.ms));
      return send(res, { ok: true });
    }
    case 'POST /node-time': {
      const b = await body();
      control.setNodeTimeMs(String(b.classType), Number(b.ms));
      return send(res, { ok: true });
    }
    case 'POST /fail-node': {
      control.failNode((await body()) as never);
      return send(res, { ok: true });
    }
    case 'DELETE /fail-node':
      control.clearFailures();
      return send(res, { ok: true });
    case 'POST /faults': {
      const b = await body();
      const rule = {
        ...b,
        route:
          typeof b.routePattern === 'string' ? new RegExp(b.routePattern) : String(b.route ?? '*'),
      };
      return send(res, { id: control.injectFault(rule as FaultRule) });
    }
    case 'DELETE /faults': {
      const id = url.searchParams.get('id');
      if (id) control.removeFault(Number(id));
      else control.clearFaults();
      return send(res, { ok: true });
    }
    case 'POST /restart': {
      const b = await body();
      send(res, { ok: true });
      await new Promise((r) => res.on('finish', r));
      await control.restart({ downtimeMs: Number(b.downtimeMs ?? 0) });
      return;
    }
    case 'POST /idle':
      await control.idle();
      return send(res, { ok: true });
    default:
      throw new HttpError(404);
  }
}
