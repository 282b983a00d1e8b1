import type { Request, Response } from 'express';
import type { OutputView, StatusView } from '../loop/status.js';
import type { Logger } from '../log.js';
import { snapshotContract } from '../snapshot.js';
import { previewFrame, snapshotKey, stateBody, statusBody, statusKey, type PreviewContext } from './state.js';

/** Settings of the server-sent events hub. */
export interface EventHubOptions {
  /** Most concurrent `/api/events` clients; more get 503. */
  maxClients: number;
  /** Interval of the keep-alive comment. */
  heartbeatMs: number;
  /** A client whose unsent buffer grows past this is dropped (a stalled browser must not hold memory). */
  maxBufferedBytes: number;
  /**
   * How often the poll loop's status is compared with what was sent (default 250 ms). The
   * StatusView has no poll event, so a failed poll that changes no LED is found by this
   * cheap comparison: it reaches clients within this time, not at the next heartbeat.
   */
  checkMs?: number;
  /** Called with the number of connected clients whenever it changes (the podglow_sse_clients gauge). */
  onCount?: (clients: number) => void;
  /** Called once for each client dropped for not reading (podglow_sse_clients_dropped_total). */
  onDrop?: () => void;
}

/**
 * Fans changes out to `/api/events` clients (SPEC §9): a `state` event with everything
 * first, then `frame` when an output's base frame or labels change, `status` when
 * readiness, staleness, the last good poll or the last error change, and `snapshot` when
 * the cluster's numbers change. Nothing is sent for fade, blink or walker steps or for a
 * ticking age: the page animates those itself. It subscribes to the controller only while
 * at least one client is connected, so idle servers hold no listener and no timer.
 */
export class EventHub {
  private readonly clients = new Set<Response>();
  private unsubscribe: (() => void) | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private checker: NodeJS.Timeout | null = null;
  private lastStatus = '';
  private lastSnapshotRef: unknown = undefined;
  private lastSnapshot = '';
  private readonly lastFrames = new Map<string, string>();

  constructor(
    private readonly view: StatusView,
    private readonly ctx: PreviewContext,
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
    const headers: Record<string, string> = {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      // Reverse proxies (nginx) would otherwise buffer the stream.
      'X-Accel-Buffering': 'no',
    };
    // A HEAD ends at once: Node then keeps or closes the connection as the client asked.
    if (req.method === 'HEAD') {
      res.writeHead(200, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, Connection: 'keep-alive' });
    req.socket.setNoDelay(true);
    // Bring the hub's memory up to date first, so the new client's state is its baseline too.
    if (this.clients.size > 0) this.check();
    this.clients.add(res);
    this.opts.onCount?.(this.clients.size);
    const drop = (): void => this.remove(res);
    req.on('close', drop);
    res.on('error', drop);
    this.send(res, 'retry: 2000\n\n');
    this.send(res, event('state', stateBody(this.view, this.ctx)));
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
    // What the first client's state event showed is the baseline for changes.
    this.lastStatus = statusKey(this.view);
    const snapshot = this.view.snapshot();
    this.lastSnapshotRef = snapshot;
    this.lastSnapshot = snapshotKey(snapshot);
    this.lastFrames.clear();
    for (const o of this.view.outputs()) this.lastFrames.set(o.name, JSON.stringify(previewFrame(o, snapshot, this.ctx)));
    this.unsubscribe = this.view.onFrame((o) => this.onFrame(o));
    this.heartbeat = setInterval(() => this.broadcast(': heartbeat\n\n'), this.opts.heartbeatMs);
    this.heartbeat.unref();
    this.checker = setInterval(() => this.check(), this.opts.checkMs ?? 250);
    this.checker.unref();
  }

  private detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.checker) clearInterval(this.checker);
    this.heartbeat = null;
    this.checker = null;
  }

  private remove(res: Response): void {
    if (!this.clients.delete(res)) return;
    this.opts.onCount?.(this.clients.size);
    if (this.clients.size === 0) this.detach();
  }

  private onFrame(output: OutputView): void {
    // A good poll changes the frame and the status together: the status goes out first.
    this.checkStatus();
    this.checkFrame(output, this.view.snapshot());
  }

  /** Compares status, snapshot and every output with what was sent; sends what changed. */
  private check(): void {
    this.checkStatus();
    const snapshot = this.view.snapshot();
    // Labels follow the snapshot and `up` follows the device: both can change without a frame event.
    for (const o of this.view.outputs()) this.checkFrame(o, snapshot);
  }

  /** Sends `status` and `snapshot` events when they changed. */
  private checkStatus(): void {
    const key = statusKey(this.view);
    if (key !== this.lastStatus) {
      this.lastStatus = key;
      this.broadcast(event('status', statusBody(this.view)));
    }
    const snapshot = this.view.snapshot();
    if (snapshot === this.lastSnapshotRef) return;
    this.lastSnapshotRef = snapshot;
    const content = snapshotKey(snapshot);
    if (content === this.lastSnapshot) return;
    this.lastSnapshot = content;
    this.broadcast(event('snapshot', { snapshot: snapshot && snapshotContract(snapshot) }));
  }

  private checkFrame(output: OutputView, snapshot: ReturnType<StatusView['snapshot']>): void {
    const frame = previewFrame(output, snapshot, this.ctx);
    const key = JSON.stringify(frame);
    if (this.lastFrames.get(output.name) === key) return;
    this.lastFrames.set(output.name, key);
    this.broadcast(`event: frame\ndata: ${key}\n\n`);
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
      this.opts.onDrop?.();
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
