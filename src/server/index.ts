import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { StatusView } from '../loop/status.js';
import type { Metrics } from '../metrics.js';
import type { Logger } from '../log.js';
import { EventHub } from './events.js';
import { stateBody, legendFromPalette, type LegendEntry, type PreviewContext } from './state.js';
import { resolvePalette } from '../layout/palette.js';

/** Static files of the preview page: src/server/public under tsx, dist/src/server/public when built. */
export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

/** The page loads only its own script, styles and event stream; nothing inline, nothing remote. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Where and how to listen. */
export interface ServerOptions {
  address: string;
  port: number;
  /** Each output's layout and legend, from the config (previewContext); without, labels are left out. */
  preview?: PreviewContext;
  /** Legend of the page when there is no `preview`; default the default palette. */
  legend?: LegendEntry[];
  /** Most concurrent `/api/events` clients (default 256). */
  maxEventClients?: number;
  /** SSE keep-alive interval (default 15 s). */
  heartbeatMs?: number;
  /** How often SSE compares the poll status with what was sent (default 250 ms). */
  statusCheckMs?: number;
  /** Longest wait for a request's headers, and for the whole request (default HEADERS_TIMEOUT_MS). */
  headersTimeoutMs?: number;
  /** Most open connections; more are closed at accept (default MAX_CONNECTIONS). */
  maxConnections?: number;
  /** Unsent bytes after which an `/api/events` client is dropped (default SSE_MAX_BUFFERED_BYTES). */
  sseMaxBufferedBytes?: number;
}

/** A request's headers must arrive within this (SPEC §9; kube-state-metrics uses 5 s, Node's default is 60 s). */
export const HEADERS_TIMEOUT_MS = 10_000;

/**
 * Most open connections server-wide: 256 event streams plus as many slow or idle clients.
 * Beyond it Node closes the socket at accept, before any parser or request object exists,
 * so a flood costs next to nothing. Measured with bench/flood.ts (five floods of 2,000 plus
 * 500 slow clients): peak RSS 96 MiB at 512 with the shipped V8 flags, up to 161 MiB at 1,024
 * with the young-generation cap alone, 206 MiB with no cap and Node's defaults.
 */
export const MAX_CONNECTIONS = 512;

/** Unsent bytes at which an event stream client is dropped: a few state events, far below what a browser that reads ever holds. */
export const SSE_MAX_BUFFERED_BYTES = 64 * 1024;

/** A running HTTP server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:9810/`. */
  url: string;
  /** The node:http server underneath (its timeouts and connection cap). */
  http: Server;
  /** Ends event streams and closes every connection. */
  close(): Promise<void>;
}

/**
 * Starts the read-only HTTP server of SPEC §9: /metrics, /healthz, /readyz, /api/state,
 * /api/events and the preview page. Rejects (e.g. EADDRINUSE) when it cannot listen.
 */
export async function startServer(view: StatusView, metrics: Metrics, opts: ServerOptions, log: Logger): Promise<RunningServer> {
  const preview: PreviewContext = opts.preview ?? {
    outputs: new Map(),
    legend: opts.legend ?? legendFromPalette(resolvePalette({ preset: 'default', colors: {} })),
  };
  const hub = new EventHub(
    view,
    preview,
    {
      maxClients: opts.maxEventClients ?? 256,
      heartbeatMs: opts.heartbeatMs ?? 15_000,
      maxBufferedBytes: opts.sseMaxBufferedBytes ?? SSE_MAX_BUFFERED_BYTES,
      checkMs: opts.statusCheckMs,
      onCount: (n) => metrics.sseClients.set(n),
      onDrop: () => metrics.sseClientsDropped.inc(),
    },
    log,
  );
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req, res, next) => {
    res.set({
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.status(405).set('Allow', 'GET, HEAD').json({ error: 'method not allowed: this server is read-only' });
      return;
    }
    next();
  });

  app.get('/metrics', async (req, res) => {
    const body = await metrics.registry.metrics();
    res.set('Content-Type', metrics.registry.contentType).set('Cache-Control', 'no-store').set('Vary', 'Accept-Encoding');
    // Gzipped only when asked, as node_exporter does; a client that sends no Accept-Encoding gets plain text.
    // On this thread: the body is tens of KiB (well under a millisecond), and zlib on the
    // thread pool would give each pool thread a malloc arena of its own to keep.
    if (wantsGzip(req.headers['accept-encoding'])) res.set('Content-Encoding', 'gzip').send(gzipSync(body));
    else res.send(body);
  });

  // Liveness: 503 once polling has wedged (SPEC §6), so the orchestrator restarts podglow.
  app.get('/healthz', (req, res) => {
    const h = view.health?.() ?? { ok: true };
    res.status(h.ok ? 200 : 503).set('Cache-Control', 'no-store');
    const reason = h.reason ?? 'unhealthy';
    if (req.accepts(['text', 'json']) === 'json') res.json(h.ok ? { status: 'ok' } : { status: 'wedged', reason });
    else res.type('text').send(h.ok ? 'ok\n' : `unhealthy: ${reason}\n`);
  });

  app.get('/readyz', (req, res) => {
    const r = view.readiness();
    const reason = r.reason ?? 'not ready';
    res.status(r.ready ? 200 : 503).set('Cache-Control', 'no-store');
    if (req.accepts(['text', 'json']) === 'json') res.json(r.ready ? { ready: true } : { ready: false, reason });
    else res.type('text').send(r.ready ? 'ready\n' : `not ready: ${reason}\n`);
  });

  app.get('/api/state', (_req, res) => {
    res.set('Cache-Control', 'no-store').json(stateBody(view, preview));
  });

  app.get('/api/events', (req, res) => hub.handle(req, res));

  app.use(
    express.static(PUBLIC_DIR, {
      index: 'index.html',
      dotfiles: 'ignore',
      redirect: false,
      fallthrough: true,
      setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache'),
    }),
  );

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  // Express recognises an error handler by its four parameters.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = httpStatus(err);
    if (status >= 500) log.error({ err, path: req.path }, 'HTTP handler failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).json({ error: status >= 500 ? 'internal error' : 'bad request' });
  });

  const headersTimeout = opts.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  // Node checks the header and request deadlines every connectionsCheckingInterval (30 s by
  // default): a tenth of the deadline keeps a slow client's stay within 10 % of it.
  const server = createServer(
    { headersTimeout, requestTimeout: headersTimeout, connectionsCheckingInterval: Math.max(50, headersTimeout / 10) },
    app,
  );
  server.keepAliveTimeout = 5_000;
  server.maxConnections = opts.maxConnections ?? MAX_CONNECTIONS;
  metrics.httpConnections.set(0);
  server.on('connection', (socket) => {
    metrics.httpConnections.inc();
    socket.once('close', () => metrics.httpConnections.dec());
  });
  server.on('drop', () => metrics.httpConnectionsRefused.inc());
  await listen(server, opts.port, opts.address);
  const addr = server.address() as AddressInfo;
  const url = `http://${hostForUrl(addr.address)}:${addr.port}/`;
  log.info({ url }, 'HTTP server listening');

  let closing: Promise<void> | null = null;
  return {
    url,
    http: server,
    close() {
      closing ??= new Promise<void>((resolve) => {
        hub.closeAll();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function listen(server: Server, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once('error', onError);
    server.listen(port, address, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** True when an Accept-Encoding header accepts gzip (a `q=0` refuses it). */
export function wantsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding?.trim() !== 'gzip' && coding?.trim() !== 'x-gzip') return false;
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    return q === undefined || Number(q) > 0;
  });
}

function hostForUrl(address: string): string {
  if (address === '0.0.0.0' || address === '::') return 'localhost';
  return address.includes(':') ? `[${address}]` : address;
}

function httpStatus(err: unknown): number {
  const s =
    (err as { status?: unknown; statusCode?: unknown } | null)?.status ?? (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' && s >= 400 && s < 600 ? s : 500;
}
