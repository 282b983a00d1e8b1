import { request, type ClientRequest, type IncomingMessage } from 'node:http';

/** One parsed server-sent event. */
export interface SseEvent {
  event: string;
  data: string;
}

/** A raw /api/events client that parses the stream as it arrives. */
export interface SseClient {
  res: IncomingMessage;
  events: SseEvent[];
  comments: string[];
  ended: Promise<void>;
  /** Resolves with the first event (from the start) matching `pred`. */
  waitFor(pred: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

/** Opens an event stream; resolves once the response headers arrived. */
export function openEvents(url: string): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req: ClientRequest = request(url, { headers: { Accept: 'text/event-stream' }, agent: false }, (res) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      const waiters: { pred: (e: SseEvent) => boolean; done: (e: SseEvent) => void }[] = [];
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = 'message';
          const data: string[] = [];
          let isEvent = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) {
              data.push(line.slice(6));
              isEvent = true;
            }
          }
          if (!isEvent) continue;
          const e = { event, data: data.join('\n') };
          events.push(e);
          for (const w of [...waiters]) {
            if (w.pred(e)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.done(e);
            }
          }
        }
      });
      const ended = new Promise<void>((r) => {
        res.on('end', r);
        res.on('close', r);
        res.on('error', () => r());
      });
      resolve({
        res,
        events,
        comments,
        ended,
        waitFor(pred, timeoutMs = 3000) {
          const hit = events.find(pred);
          if (hit) return Promise.resolve(hit);
          return new Promise((done, fail) => {
            const t = setTimeout(
              () => fail(new Error(`no matching event within ${timeoutMs} ms; got ${events.map((e) => e.event).join(', ')}`)),
              timeoutMs,
            );
            waiters.push({ pred, done: (e) => (clearTimeout(t), done(e)) });
          });
        },
        close() {
          req.destroy();
          res.destroy();
        },
      });
    });
    req.on('error', reject);
    req.end();
  });
}
