import type { Request, Response } from 'express';
import type { OutputView, StatusView } from '../loop/status.js';
import type { Logger } from '../log.js';
import { stateBody, statusKey, type LegendEntry } from './state.js';

/** Settings of the server-sent events hub. */
export interface EventHubOptions {
  /** Most concurrent `/api/events` clients; more get 503. */
  maxClients: number;
  /** Interval of the keep-alive comment. */
  heartbeatMs: number;
  /** A client whose unsent buffer grows past this is dropped (a stalled browser must not hold memory). */
  maxBufferedBytes: number;
}

/**
 * Fans displayed frames out to `/api/events` clients. It subscribes to the controller only
 * while at least one client is connected, so idle servers hold no listener.
 */
export class EventHub {
  private readonly clients = new Set<Response>();
  private unsubscribe: (() => void) | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private lastStatus = '';

  constructor(
    private readonly view: StatusView,
    private readonly legend: LegendEntry[],
    private readonly opts: EventHubOptions,
    private readonly log: Logger,
  ) {}

  /** Connected clients right now. */
  get size(): number {
    return this.clients.size;
  }

  /** Handles `GET /api/events`: keeps the response open as an event stream. */
  handle(req: Request, res: Response): void {
    if (this.clients.size >= this.opts.maxClients) {
      res.status(503).set('Retry-After', '10').json({ error: 'too many event stream clients' });
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // Reverse proxies (nginx) would otherwise buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    req.socket.setNoDelay(true);
    this.clients.add(res);
    const drop = (): void => this.remove(res);
    req.on('close', drop);
    res.on('error', drop);
    this.send(res, 'retry: 2000\n\n');
    this.send(res, event('state', stateBody(this.view, this.legend)));
    if (this.clients.size === 1) this.attach();
  }

  /** Ends every stream (server shutdown). */
  closeAll(): void {
    for (const res of [...this.clients]) {
      this.remove(res);
      res.end();
    }
  }

  private attach(): void {
    this.lastStatus = statusKey(this.view);
    this.unsubscribe = this.view.onFrame((o) => this.onFrame(o));
    this.heartbeat = setInterval(() => this.onHeartbeat(), this.opts.heartbeatMs);
    this.heartbeat.unref();
  }

  private detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private remove(res: Response): void {
    if (!this.clients.delete(res)) return;
    if (this.clients.size === 0) this.detach();
  }

  private onFrame(output: OutputView): void {
    this.broadcast(event('frame', output));
    this.checkStatus();
  }

  private onHeartbeat(): void {
    this.broadcast(': heartbeat\n\n');
    this.checkStatus();
  }

  /** Sends a full state event when the banner, poll time or counts changed. */
  private checkStatus(): void {
    const key = statusKey(this.view);
    if (key === this.lastStatus) return;
    this.lastStatus = key;
    this.broadcast(event('state', stateBody(this.view, this.legend)));
  }

  private broadcast(chunk: string): void {
    for (const res of this.clients) this.send(res, chunk);
  }

  private send(res: Response, chunk: string): void {
    if (res.writableEnded || res.destroyed) {
      this.remove(res);
      return;
    }
    if (res.writableLength > this.opts.maxBufferedBytes) {
      this.log.warn({ buffered: res.writableLength }, 'dropping a slow /api/events client');
      this.remove(res);
      res.destroy();
      return;
    }
    res.write(chunk);
  }
}

/** Formats one server-sent event; JSON never contains a raw newline, so one data line suffices. */
function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}
