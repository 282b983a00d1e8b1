// What SPEC §4b's extra queries read at bench scale, served beside the KSM fixture: the
// node conditions real kube-state-metrics exports besides the fixture's Ready and
// MemoryPressure (DiskPressure, PIDPressure, NetworkUnavailable, one row per status), and
// ALERTS series as Prometheus' rule engine writes them (alertname, alertstate, alert labels),
// so the bench measures the alerts query without evaluating rules. Scraped with honor_labels,
// so the `job` label given here is kept and the bench config's job matcher selects the rows.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Firing alerts per 1,000 nodes in the exposition (plus the Watchdog and some pending ones). */
export const ALERTS_PER_1000_NODES = 100;

/** The exposition for `nodes` nodes named node-1…: every 50th node under DiskPressure, every 10th with a firing alert. */
export function extrasExposition(nodes: number, job: string): string {
  const out: string[] = ['# TYPE kube_node_status_condition gauge'];
  for (let i = 1; i <= nodes; i++) {
    for (const cond of ['DiskPressure', 'PIDPressure', 'NetworkUnavailable']) {
      const current = cond === 'DiskPressure' && i % 50 === 0 ? 'true' : 'false';
      for (const st of ['false', 'true', 'unknown'])
        out.push(
          `kube_node_status_condition{job="${job}",node="node-${i}",condition="${cond}",status="${st}"} ${st === current ? 1 : 0}`,
        );
    }
  }
  out.push('# TYPE ALERTS gauge', 'ALERTS{alertname="Watchdog",alertstate="firing",severity="none"} 1');
  for (let i = 1; i <= nodes; i++) {
    const sev = i % 30 === 0 ? 'critical' : 'warning';
    if (i % 10 === 0)
      out.push(
        `ALERTS{alertname="NodeFilesystemSpaceFillingUp",alertstate="firing",severity="${sev}",instance="node-${i}:9100",job="node-exporter"} 1`,
      );
    if (i % 10 === 5) out.push(`ALERTS{alertname="KubePodNotReady",alertstate="pending",severity="warning",node="node-${i}"} 1`);
  }
  return out.join('\n') + '\n';
}

/** Serves extrasExposition at /metrics on 127.0.0.1; returns its target and a close function. */
export async function startExtrasExposition(nodes: number, job: string): Promise<{ target: string; close(): Promise<void> }> {
  const body = Buffer.from(extrasExposition(nodes, job));
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4', 'Content-Length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    target: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
