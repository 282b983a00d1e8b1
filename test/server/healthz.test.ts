// /healthz (SPEC §6, §9): 200 while polling works, 503 with the reason once it has wedged,
// so an orchestrator's liveness probe restarts a wedged podglow. /readyz is unaffected.
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { Metrics } from '../../src/metrics.js';
import { silentLogger } from '../../src/log.js';
import type { Health } from '../../src/loop/status.js';
import { FakeStatusView } from '../fakes/fakeStatusView.js';

class HealthView extends FakeStatusView {
  h: Health = { ok: true };
  health(): Health {
    return this.h;
  }
}

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('/healthz', () => {
  it('is 200 while polling works and 503 with the reason once it has wedged', async () => {
    const view = new HealthView();
    server = await startServer(view, new Metrics({ defaultMetrics: false }), { address: '127.0.0.1', port: 0 }, silentLogger);
    const get = (accept?: string) => fetch(new URL('healthz', server!.url), { headers: accept ? { Accept: accept } : {} });
    let r = await get();
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('ok\n');

    view.h = { ok: false, reason: 'polling has wedged: no poll has finished for 41s (limit 40s)' };
    r = await get();
    expect(r.status).toBe(503);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(await r.text()).toBe('unhealthy: polling has wedged: no poll has finished for 41s (limit 40s)\n');
    r = await get('application/json');
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({ status: 'wedged', reason: 'polling has wedged: no poll has finished for 41s (limit 40s)' });

    view.h = { ok: true };
    expect((await get()).status).toBe(200);
  });

  it('a view without health() is always alive', async () => {
    server = await startServer(
      new FakeStatusView(),
      new Metrics({ defaultMetrics: false }),
      { address: '127.0.0.1', port: 0 },
      silentLogger,
    );
    expect((await fetch(new URL('healthz', server.url))).status).toBe(200);
  });
});
