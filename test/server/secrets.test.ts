import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPodglow, type Podglow } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import {
  HEALTHY,
  startCanned,
  vector,
  type CannedAnswer,
  type CannedPrometheus,
  type SeenRequest,
} from '../helpers/cannedPrometheus.js';
import { openEvents } from './sse.js';

const TOKEN = 'tok-3f9a1c77e0-SECRET';
const PASSWORD = 'pw-77c1e0b2d4-SECRET';

let app: Podglow | undefined;
let prom: CannedPrometheus | undefined;
let dir: string | undefined;
afterEach(async () => {
  await app?.stop();
  await prom?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  app = prom = dir = undefined;
  delete process.env.PROM_PASSWORD;
});

/** Every form a secret could take on the wire. */
function forms(secret: string, user?: string): string[] {
  const out = [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')];
  if (user) out.push(Buffer.from(`${user}:${secret}`).toString('base64'));
  return out;
}

/** Fetches every endpoint (and a 404 and a 405) and returns headers + bodies as one text. */
async function everything(base: string): Promise<string> {
  let all = '';
  for (const path of [
    '',
    'app.js',
    'style.css',
    'favicon.svg',
    'api/state',
    'metrics',
    'healthz',
    'readyz',
    'nope',
    'api/nope',
  ]) {
    for (const accept of ['*/*', 'application/json']) {
      const r = await fetch(new URL(path, base), { headers: { Accept: accept } });
      const headers: string[] = [];
      r.headers.forEach((v, k) => headers.push(`${k}: ${v}`));
      all += `${path} ${r.status} ${headers.join('\n')}\n${await r.text()}\n`;
    }
  }
  const post = await fetch(new URL('api/state', base), { method: 'POST' });
  all += `${post.status} ${await post.text()}\n`;
  const sse = await openEvents(new URL('api/events', base).toString());
  await sse.waitFor((e) => e.event === 'state');
  sse.close();
  all += JSON.stringify(sse.res.headers) + sse.events.map((e) => e.data).join('\n');
  return all;
}

async function run(auth: Record<string, unknown>, answer: (r: SeenRequest) => CannedAnswer): Promise<string> {
  prom = await startCanned(answer);
  app = await startPodglow(
    parseConfig(
      {
        source: 'prometheus',
        interval: '1h',
        prometheus: { url: prom.url, headers: { 'X-Scope-OrgID': 'tenant-1' }, ...auth },
        server: { address: '127.0.0.1', port: 0 },
        outputs: [{ name: 'hat', type: 'web', width: 8, height: 8 }],
      },
      { env: {} },
    ),
    { log: silentLogger, metrics: new Metrics() },
  );
  await app.controller.pollNow();
  return everything(app.url!);
}

const ANSWERS: Record<string, (r: SeenRequest) => CannedAnswer> = {
  healthy: (r) => ({ body: r.query === 'other' ? vector([]) : HEALTHY[r.query] }),
  'plain-text 401': () => ({ status: 401, body: 'no org id\n', headers: { 'Content-Type': 'text/plain' } }),
  'JSON 503': () => ({
    status: 503,
    body: JSON.stringify({ status: 'error', errorType: 'unavailable', error: 'too many queries' }),
  }),
  // A proxy that puts the request's credentials into its error text must not make podglow repeat them.
  'error echoing the credentials': (r) => ({
    status: 400,
    body: JSON.stringify({ status: 'error', errorType: 'bad_data', error: `rejected ${String(r.headers.authorization)}` }),
  }),
};

describe('no secret in any response', () => {
  for (const [name, answer] of Object.entries(ANSWERS)) {
    it(`bearer token, Prometheus answering ${name}`, async () => {
      dir = mkdtempSync(join(tmpdir(), 'podglow-secret-'));
      writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
      const body = await run({ bearerTokenFile: join(dir, 'token') }, answer);
      // The token was really in use.
      expect(prom!.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(body).toContain('"hat"');
      for (const f of forms(TOKEN)) expect(body).not.toContain(f);
    });

    it(`basic auth, Prometheus answering ${name}`, async () => {
      // The source reads passwordEnv from the process environment.
      process.env.PROM_PASSWORD = PASSWORD;
      const body = await run({ basicAuth: { username: 'podglow', passwordEnv: 'PROM_PASSWORD' } }, answer);
      expect(prom!.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from(`podglow:${PASSWORD}`).toString('base64')}`);
      for (const f of forms(PASSWORD, 'podglow')) expect(body).not.toContain(f);
    });
  }
});
