// `npx tsx bench/sseBytes.ts [--seconds 10] [--nodes 100]`: bytes an `/api/events` client
// receives while the display is stale (SPEC §9: one event per new frame or status change,
// ticking ages computed in the page). The real poll loop and HTTP server run with a source
// that answers once with N nodes and then fails like a refused Prometheus; outputs: a web
// 8×8 matrix (paging off for the measurement) and a web nodes grid that fits every node,
// both with a blinking crashing pod. The client connects once the display is stale.
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import { startPodglow } from '../src/app.js';
import { parseConfig } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';
import { PollError } from '../src/source/errors.js';
import type { Snapshot } from '../src/snapshot.js';
import type { Source } from '../src/source/source.js';
import { emptyCounts } from '../src/states.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, nodes: { type: 'string', default: '100' } },
});
const seconds = Number(values.seconds);
const nodeCount = Number(values.nodes);

const snapshot: Snapshot = {
  time: new Date().toISOString(),
  nodes: Array.from({ length: nodeCount }, (_, i) => ({
    name: `node-${i}`,
    ready: true,
    unschedulable: false,
    conditions: [],
    alerts: { critical: 0, warning: 0, info: 0 },
    pods: { ...emptyCounts(), running: 20 + (i % 7), pending: i % 3, crashing: i % 11 === 0 ? 1 : 0 },
  })),
  unscheduled: emptyCounts(),
  alerts: { critical: 0, warning: 0, info: 0 },
  queries: {},
};

let polls = 0;
const source: Source = {
  async poll() {
    if (polls++ === 0) return { ...snapshot, time: new Date().toISOString() };
    throw new PollError('connection', 'connect ECONNREFUSED 127.0.0.1:1');
  },
};

const side = Math.ceil(Math.sqrt(nodeCount));
const config = parseConfig(
  {
    source: 'demo',
    interval: '1s',
    staleAfter: '2s',
    outputs: [
      { name: 'hat', type: 'web', width: 8, height: 8, layout: { type: 'matrix', pageSeconds: 3600 } },
      { name: 'grid', type: 'web', width: side, height: side, layout: { type: 'nodes' } },
    ],
    server: { enabled: true, address: '127.0.0.1', port: 0 },
  },
  { env: {} },
);

const app = await startPodglow(config, { log: silentLogger, source });
const until = Date.now() + 10_000;
while (!app.controller.stale() && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
if (!app.controller.stale()) throw new Error('the display did not go stale');

let bytes = 0;
let events = 0;
const names = new Map<string, number>();
await new Promise<void>((resolve, reject) => {
  const req = request(new URL('api/events', app.url), { agent: false }, (res) => {
    res.setEncoding('utf8');
    let head: string | null = '';
    res.on('data', (data: string) => {
      let chunk = data;
      // The full state a client gets on connecting is the baseline, not traffic while stale.
      if (head !== null) {
        head += chunk;
        const at = head.indexOf('event: state');
        const end = at < 0 ? -1 : head.indexOf('\n\n', at);
        if (end < 0) return;
        chunk = head.slice(end + 2);
        head = null;
      }
      bytes += Buffer.byteLength(chunk);
      for (const m of chunk.matchAll(/^event: (\w+)$/gm)) {
        events++;
        names.set(m[1]!, (names.get(m[1]!) ?? 0) + 1);
      }
    });
    setTimeout(() => {
      req.destroy();
      resolve();
    }, seconds * 1000);
  });
  req.on('error', reject);
  req.end();
});
await app.stop();
console.log(JSON.stringify({ nodes: nodeCount, seconds, bytes, events, byEvent: Object.fromEntries(names) }));
