/**
 * The stand-in's HTTP server (node:http): ComfyUI routes (also under `/api`), the jobs API when
 * enabled, `/__standin/*` control routes, injected faults, and the socket bookkeeping that lets a
 * restart cut every connection and refuse new ones for a while.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { StandInControl } from './control.js';
import { handleControlRoute } from './control-routes.js';
import type { StandInCore } from './core.js';
import type { FaultInjector, FaultKind } from './faults.js';
import { HttpError, sendJson, sendNotFound, sendServerError, sendText } from './http-util.js';
import { cancelJob, getJob, listJobs } from './jobs.js';
import { handleComfyRoute, type RouteEnv } from './routes.js';
import { StandInWebSockets } from './websocket.js';

export interface ServerOptions {
  host: string;
  port: number;
  version: string;
  maxUploadBytes: number;
  jobsApi: boolean;
  fileCleanup: boolean;
  log: (message: string, data?: Record<string, unknown>) => void;
}

export class StandInServer {
  readonly server: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;
  /** Stopped for good (a restart's downtime does not bring it back). */
  private closed = false;
  control: StandInControl | undefined;
  readonly ws: StandInWebSockets;

  constructor(
    private readonly core: StandInCore,
    private readonly faults: FaultInjector,
    private readonly options: ServerOptions,
  ) {
    this.server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
      this.handle(req, res).catch((err) => {
        this.options.log('standin request failed', { error: String(err) });
        if (!res.headersSent) sendServerError(res);
        else res.destroy();
      });
    });
    this.ws = new StandInWebSockets(() => core.heap.size + (core.running ? 1 : 0));
    core.onEvent = (clientId, type, data) => this.ws.emit(clientId, type, data);
    this.server.on('upgrade', (req, socket) => {
      if (!this.ws.upgrade(req, socket)) socket.destroy();
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async listen(port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  /** Cut every connection; with downtime, also stop listening for that long. */
  async restart(downtimeMs: number): Promise<void> {
    if (downtimeMs > 0) {
      const closed = new Promise<void>((r) => this.server.close(() => r()));
      this.destroySockets();
      await closed;
      await new Promise((r) => setTimeout(r, downtimeMs));
      // Stopped during the downtime: it stays down.
      if (this.closed) return;
      await this.listen(this.port);
    } else {
      this.destroySockets();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    this.destroySockets();
    await closed;
  }

  private destroySockets(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://standin');
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith('/__standin/') && this.control) {
      try {
        return await handleControlRoute(req, res, url, this.control);
      } catch (err) {
        if (err instanceof HttpError) return sendNotFound(res);
        throw err;
      }
    }
    const isJobs = /^\/(api\/)?api\/jobs(\/|$)/.test(url.pathname);
    const path = isJobs
      ? url.pathname.replace(/^\/(api\/)?api/, '')
      : url.pathname === '/api' || url.pathname.startsWith('/api/')
        ? url.pathname.slice(4) || '/'
        : url.pathname;
    let truncateAfter: number | undefined;
    for (const fault of this.faults.match(method, path)) {
      const done = await this.applyFault(fault, req, res);
      if (done) return;
      if (fault.kind === 'truncate') truncateAfter = fault.afterBytes;
    }
    const env: RouteEnv = {
      core: this.core,
      version: this.options.version,
      maxUploadBytes: this.options.maxUploadBytes,
      argv: ['comfy-standin', '--port', String(this.port)],
      fileCleanup: this.options.fileCleanup,
    };
    if (truncateAfter !== undefined) env.truncateAfter = truncateAfter;
    try {
      if (isJobs) {
        if (!this.options.jobsApi || !(await this.jobs(req, res, url, path))) sendNotFound(res);
        return;
      }
      if (!(await handleComfyRoute(req, res, url, path, env))) sendNotFound(res);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      if (err.status === 500) sendServerError(res);
      else if (err.status === 413) sendText(res, 413, 'Request Entity Too Large');
      else sendNotFound(res);
    }
  }

  /** True when the fault answered (or killed) the request. */
  private async applyFault(
    fault: FaultKind,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<boolean> {
    switch (fault.kind) {
      case 'latency':
        await new Promise((r) => setTimeout(r, fault.ms));
        return false;
      case 'status':
        req.resume();
        sendText(res, fault.status, fault.body ?? `${fault.status}: Injected fault (stand-in)`);
        return true;
      case 'drop':
        req.socket.destroy();
        return true;
      case 'reset':
        req.socket.resetAndDestroy();
        return true;
      case 'hang':
        req.resume();
        return true;
      case 'truncate':
        return false;
    }
  }

  private async jobs(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    path: string,
  ): Promise<boolean> {
    const core = this.core;
    if (req.method === 'GET' && path === '/jobs') {
      const jobs = listJobs(core, url.searchParams);
      if (typeof jobs === 'string') {
        sendJson(res, { error: jobs }, 400);
        return true;
      }
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const limit = url.searchParams.get('limit');
      sendJson(res, {
        jobs,
        pagination: {
          offset,
          limit: limit === null ? null : Number(limit),
          total: jobs.length,
          has_more: false,
        },
      });
      return true;
    }
    const m = /^\/jobs\/([^/]+)(\/cancel)?$/.exec(path);
    if (!m) return false;
    const id = decodeURIComponent(m[1] ?? '');
    if (m[2] && req.method === 'POST') {
      req.resume();
      sendJson(res, { cancelled: cancelJob(core, id) });
      return true;
    }
    if (!m[2] && req.method === 'GET') {
      const job = getJob(core, id);
      if (job) sendJson(res, job);
      else sendJson(res, { error: 'Job not found' }, 404);
      return true;
    }
    return false;
  }
}
