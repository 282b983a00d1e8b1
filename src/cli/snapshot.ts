import { ConfigError } from '../config/load.js';
import { createLogger } from '../log.js';
import type { AlertCounts, ClusterSnapshot, NodeSnapshot, Snapshot } from '../snapshot.js';
import { PollError } from '../source/errors.js';
import { POD_STATES, type StateCounts } from '../states.js';
import { COMMON_HELP, EXIT_CONFIG, EXIT_FAILURE, UsageError, configFromFlags, parseCommand } from './common.js';

const HELP = [
  'Usage: podglow snapshot [options]',
  '',
  'Polls the source once and prints what it knows: a table of pods per node and state,',
  'or with --json as JSON (the same as the "snapshot" of GET /api/state).',
  'Exits 1 with a one-line reason when the poll fails, 2 on a config error.',
  '',
  'Options:',
  '      --json               print the snapshot as JSON',
  ...COMMON_HELP,
].join('\n');

const OPTIONS = { json: { type: 'boolean' } } as const;

/** Node names are printed as text: control characters would let a name drive the terminal. */
function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/**
 * A readable table of a snapshot: one row per node in display order, then unscheduled pods and
 * a total; with clusters, one such table per cluster under a heading with its data age.
 */
export function formatTable(s: Snapshot): string {
  if (s.clusters) return formatClusters(s, s.clusters);
  return formatNodes(s);
}

/** One line per named query: its value (and colour), or its error, which already names the query. */
function queryLines(s: Snapshot): string[] {
  return Object.entries(s.queries).map(([name, q]) =>
    q.error !== undefined
      ? `ERROR: ${printable(q.error)}`
      : `query ${printable(name)}: ${q.value}${q.color ? ` (${q.color})` : ''}`,
  );
}

function formatClusters(s: Snapshot, clusters: ClusterSnapshot[]): string {
  const parts = clusters.map((c) => {
    const title = c.displayName ? `${printable(c.displayName)} (${printable(c.name)})` : printable(c.name);
    const age = c.dataAgeSeconds === null ? 'no data' : `data ${c.dataAgeSeconds}s old`;
    const body = c.nodes.length
      ? formatNodes({ ...s, nodes: c.nodes, unscheduled: c.unscheduled, alerts: c.alerts, queries: {} })
      : '(no nodes)';
    return [`== cluster ${title}: ${age}${c.stale ? ', STALE' : ''}`, body].join('\n');
  });
  const { critical, warning, info } = s.alerts;
  return [
    parts.join('\n\n'),
    '',
    `alerts without a cluster label: ${critical} critical, ${warning} warning, ${info} info`,
    ...queryLines(s),
  ].join('\n');
}

function formatNodes(s: Snapshot): string {
  const head = ['NODE', 'READY', 'CORDONED', ...POD_STATES.map((st) => st.toUpperCase()), 'TOTAL', 'ALERTS C/W/I', 'CONDITIONS'];
  const alerts = (a: AlertCounts) => `${a.critical}/${a.warning}/${a.info}`;
  const total = (c: Record<string, number>) => POD_STATES.reduce((n, st) => n + c[st]!, 0);
  const rows: string[][] = s.nodes.map((n) => [
    printable(n.name),
    n.ready === true ? 'yes' : n.ready === false ? 'NO' : 'unknown',
    n.unschedulable ? 'yes' : 'no',
    ...POD_STATES.map((st) => String(n.pods[st])),
    String(total(n.pods)),
    alerts(n.alerts),
    n.conditions.map(printable).join(',') || '-',
  ]);
  rows.push([
    '(unscheduled)',
    '',
    '',
    ...POD_STATES.map((st) => String(s.unscheduled[st])),
    String(total(s.unscheduled)),
    '',
    '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (i < 3 || i === head.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const pods = s.nodes.reduce((n, x) => n + total(x.pods), 0) + total(s.unscheduled);
  const notReady = s.nodes.filter((n) => n.ready !== true).length;
  return [
    fmt(head),
    ...rows.map(fmt),
    '',
    `${s.nodes.length} nodes (${notReady} not ready), ${pods} pods, polled at ${s.time}`,
    `cluster-wide firing alerts: ${s.alerts.critical} critical, ${s.alerts.warning} warning, ${s.alerts.info} info`,
    ...queryLines(s),
  ].join('\n');
}

/** Key order of the pod counts in SPEC §4's example. */
const JSON_STATE_ORDER = ['running', 'pending', 'terminating', 'crashing', 'failed', 'unknown', 'succeeded'] as const;

/** The snapshot as SPEC §4 JSON, keys in the order of its example. */
export function snapshotJson(s: Snapshot): string {
  const counts = (c: StateCounts) => Object.fromEntries(JSON_STATE_ORDER.map((st) => [st, c[st]]));
  const nodes = (list: NodeSnapshot[]) =>
    list.map((n) => ({
      name: n.name,
      ready: n.ready,
      unschedulable: n.unschedulable,
      pods: counts(n.pods),
      conditions: n.conditions,
      alerts: n.alerts,
    }));
  if (s.clusters) {
    // SPEC §3c: one block per cluster, each node listed once (README "Several clusters").
    const clusters = s.clusters.map((c) => ({
      name: c.name,
      ...(c.displayName !== undefined ? { displayName: c.displayName } : {}),
      dataAgeSeconds: c.dataAgeSeconds,
      stale: c.stale,
      nodes: nodes(c.nodes),
      unscheduled: counts(c.unscheduled),
      alerts: c.alerts,
    }));
    return JSON.stringify({ time: s.time, clusters, alerts: s.alerts, queries: s.queries }, null, 2);
  }
  return JSON.stringify(
    {
      time: s.time,
      nodes: nodes(s.nodes),
      unscheduled: counts(s.unscheduled),
      alerts: s.alerts,
      queries: s.queries,
    },
    null,
    2,
  );
}

/** The one-line reason printed when a poll fails. */
export function failureLine(e: unknown): string {
  const text =
    e instanceof PollError
      ? `poll failed (${e.reason}): ${e.message}`
      : `poll failed: ${e instanceof Error ? e.message : String(e)}`;
  return `podglow: ${text.replace(/\s*\n\s*/g, ' ')}`;
}

/** `podglow snapshot`: one poll, printed as a table or SPEC §4 JSON. */
export async function main(argv: string[]): Promise<number> {
  let config;
  let values;
  try {
    const parsed = parseCommand(argv, OPTIONS, HELP);
    if (!parsed) return 0;
    values = parsed.values;
    config = configFromFlags(values);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof UsageError) {
      console.error(`podglow: ${e.message}`);
      return EXIT_CONFIG;
    }
    throw e;
  }
  const log = createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level, format: config.log.format });
  let snapshot: Snapshot;
  try {
    const { pollOnce } = await import('../source/index.js');
    snapshot = await pollOnce(config, { log });
  } catch (e) {
    console.error(failureLine(e));
    return EXIT_FAILURE;
  }
  console.log(values.json ? snapshotJson(snapshot) : formatTable(snapshot));
  return 0;
}
