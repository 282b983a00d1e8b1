// A kube-state-metrics fixture with node conditions beyond Ready (SPEC §4b), plus gauges a
// test Prometheus' own alerting rules can read. It reuses ksmFixture's exposition and adds
// or overrides kube_node_status_condition rows, so ksmFixture.ts itself stays as it is.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderExposition, type KsmCluster } from './ksmFixture.js';

/** Status of one node condition, as kube-state-metrics exports it (one 0/1 row per status). */
export type ConditionStatus = 'true' | 'false' | 'unknown';

/** Conditions per node name: condition name → status (Ready is ksmFixture's `ready`). */
export type NodeConditions = Record<string, Record<string, ConditionStatus>>;

/** What the fixture serves: a cluster, its extra conditions, and free-form gauges (name → value). */
export interface ExtrasScenario {
  cluster: KsmCluster;
  conditions: NodeConditions;
  gauges?: Record<string, number>;
}

/**
 * The exposition of `scenario`: ksmFixture's text with the kube_node_status_condition rows of
 * every listed (node, condition) replaced by rows for the given status, in KSM's shape
 * (internal/store/node.go: a row per status "true", "false", "unknown", value 1 on the current one).
 */
export function renderExtras(scenario: ExtrasScenario, generation: number): string {
  const listed = new Set(
    Object.entries(scenario.conditions).flatMap(([node, c]) => Object.keys(c).map((cond) => `${node}\u0000${cond}`)),
  );
  const base = renderExposition(scenario.cluster, generation)
    .split('\n')
    .filter((line) => {
      const m = /^kube_node_status_condition\{node="([^"]*)",condition="([^"]*)"/.exec(line);
      return !m || !listed.has(`${m[1]}\u0000${m[2]}`);
    });
  const rows: string[] = [];
  for (const [node, conds] of Object.entries(scenario.conditions)) {
    for (const [cond, current] of Object.entries(conds)) {
      for (const st of ['false', 'true', 'unknown'])
        rows.push(`kube_node_status_condition{node="${node}",condition="${cond}",status="${st}"} ${st === current ? 1 : 0}`);
    }
  }
  const gauges = Object.entries(scenario.gauges ?? {}).map(([name, v]) => `${name} ${v}`);
  // The text format wants a family's lines together: the new rows go right after the family's last line.
  const lines = base.filter((l) => l !== '');
  let at = lines.findLastIndex(
    (l) => l.startsWith('kube_node_status_condition') || l === '# TYPE kube_node_status_condition gauge',
  );
  if (at < 0) at = lines.length - 1;
  lines.splice(at + 1, 0, ...rows);
  return [...lines, ...gauges].join('\n') + '\n';
}

/** A running extras fixture. */
export interface ExtrasFixture {
  target: string;
  readonly generation: number;
  /** Switches the scenario; returns the new generation (wait for it with waitForGeneration). */
  set(scenario: ExtrasScenario): number;
  close(): Promise<void>;
}

/** Serves `renderExtras(scenario)` at /metrics on 127.0.0.1 (port chosen by the system). */
export async function startExtrasFixture(scenario: ExtrasScenario): Promise<ExtrasFixture> {
  let current = scenario;
  let generation = 1;
  const server = http.createServer((req, res) => {
    if (req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(renderExtras(current, generation));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    target: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    get generation() {
      return generation;
    },
    set(next) {
      current = next;
      return ++generation;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
