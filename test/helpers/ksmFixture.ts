import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_CRASH_REASONS, emptyCounts, type StateCounts } from '../../src/states.js';
import { filterResources, renderOtherFamilies, requestedResources } from './ksmFull.js';

/** Pod phases as kube-state-metrics exports them. */
export const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;
export type PodPhase = (typeof PHASES)[number];

/** One node of a fixture cluster. */
export interface KsmNode {
  name: string;
  /** Ready condition: true (default), false, or null for status="unknown". */
  ready?: boolean | null;
  /** Export no Ready condition at all (a node KSM knows too little about). */
  noReadyCondition?: boolean;
  /** Cordoned (spec.unschedulable). */
  unschedulable?: boolean;
}

/** One pod of a fixture cluster. */
export interface KsmPod {
  name: string;
  namespace?: string;
  /** Default: derived from namespace/name, stable across scenarios. */
  uid?: string;
  /** Node it is bound to; absent or '' = unscheduled (KSM exports node=""). */
  node?: string;
  phase: PodPhase;
  /** Waiting reason of each waiting container (one container per entry). */
  waiting?: string[];
  /** Containers that are not waiting (default 1 when nothing waits). */
  containers?: number;
  /** The pod has a deletion timestamp. */
  deleting?: boolean;
}

/** A declarative cluster: what kube-state-metrics would see. */
export interface KsmCluster {
  nodes: KsmNode[];
  pods: KsmPod[];
}

/** How to render the exposition text. */
export interface RenderOptions {
  /** One kube_pod_status_phase row per phase with 0/1 (KSM v2, default true); false = only the active phase (smaller, for big benchmarks). */
  allPhases?: boolean;
  /** Old KSM (< 2.0): a 0/1 row for each known waiting reason of every container. */
  legacyWaitingReasons?: boolean;
  /** `# HELP` / `# TYPE` lines (default true). */
  metadata?: boolean;
  /** Also the families podglow does not read (test/helpers/ksmFull.ts), so a scrape costs about what a real one does. */
  full?: boolean;
}

/** Waiting reasons old KSM exported as 0/1 rows per container. */
const LEGACY_REASONS = [
  'ContainerCreating',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'ErrImagePull',
  'ImagePullBackOff',
];

/** Name of the fixture's own gauge: the scenario generation, to know when Prometheus has scraped a switch. */
export const GENERATION_METRIC = 'ksm_fixture_generation';

/** A stable UUID-looking uid from namespace and name (FNV-1a). */
export function podUid(namespace: string, name: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  const s = `${namespace}/${name}`;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 16777619) >>> 0;
    h2 = Math.imul(h2 ^ c, 2246822519) >>> 0;
  }
  const a = h1.toString(16).padStart(8, '0');
  const b = h2.toString(16).padStart(8, '0');
  return `${a}-${b.slice(0, 4)}-4${b.slice(4, 7)}-8${a.slice(0, 3)}-${b}${a.slice(4, 8)}`;
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Renders a cluster as kube-state-metrics exposition text (text format 0.0.4), plus the generation gauge. */
export function renderExposition(cluster: KsmCluster | null, generation = 0, opts: RenderOptions = {}): string {
  const allPhases = opts.allPhases ?? true;
  const meta = opts.metadata ?? true;
  const out: string[] = [];
  const family = (name: string, help: string) => {
    if (meta) out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
  };
  family(GENERATION_METRIC, 'Scenario generation of the podglow test fixture.');
  // A new series per generation: VictoriaMetrics makes new series searchable seconds after
  // new samples of known ones, so seeing this one means the scenario's new series are visible too.
  out.push(`${GENERATION_METRIC}{generation="${generation}"} ${generation}`);
  if (!cluster) return out.join('\n') + '\n';

  family('kube_node_info', '[STABLE] Information about a cluster node.');
  for (const n of cluster.nodes) {
    const node = esc(n.name);
    out.push(
      `kube_node_info{node="${node}",kernel_version="6.1.0-rpi7-rpi-v8",os_image="Debian GNU/Linux 12 (bookworm)",container_runtime_version="containerd://1.7.12",kubelet_version="v1.30.2",kubeproxy_version="deprecated",provider_id="",pod_cidr="10.42.0.0/24",system_uuid="",internal_ip="10.0.0.1"} 1`,
    );
  }
  family('kube_node_spec_unschedulable', '[STABLE] Whether a node can schedule new pods.');
  for (const n of cluster.nodes) out.push(`kube_node_spec_unschedulable{node="${esc(n.name)}"} ${n.unschedulable ? 1 : 0}`);
  family('kube_node_status_condition', '[STABLE] The condition of a cluster node.');
  for (const n of cluster.nodes) {
    const node = esc(n.name);
    for (const cond of ['MemoryPressure', 'Ready']) {
      if (cond === 'Ready' && n.noReadyCondition) continue;
      const current =
        cond === 'Ready' ? (n.ready === undefined ? 'true' : n.ready === null ? 'unknown' : String(n.ready)) : 'false';
      for (const st of ['false', 'true', 'unknown']) {
        out.push(`kube_node_status_condition{node="${node}",condition="${cond}",status="${st}"} ${st === current ? 1 : 0}`);
      }
    }
  }

  const pods = cluster.pods.map((p) => {
    const ns = p.namespace ?? 'default';
    return { p, ns: esc(ns), pod: esc(p.name), uid: esc(p.uid ?? podUid(ns, p.name)) };
  });
  family('kube_pod_info', '[STABLE] Information about pod.');
  for (const { p, ns, pod, uid } of pods) {
    out.push(
      `kube_pod_info{namespace="${ns}",pod="${pod}",uid="${uid}",host_ip="10.0.0.1",pod_ip="10.42.0.9",node="${esc(p.node ?? '')}",created_by_kind="ReplicaSet",created_by_name="${pod}-rs",priority_class="",host_network="false"} 1`,
    );
  }
  family('kube_pod_status_phase', '[STABLE] The pods current phase.');
  for (const { p, ns, pod, uid } of pods) {
    for (const phase of PHASES) {
      if (!allPhases && phase !== p.phase) continue;
      out.push(
        `kube_pod_status_phase{namespace="${ns}",pod="${pod}",uid="${uid}",phase="${phase}"} ${phase === p.phase ? 1 : 0}`,
      );
    }
  }
  family(
    'kube_pod_container_status_waiting_reason',
    '[STABLE] Describes the reason the container is currently in waiting state.',
  );
  for (const { p, ns, pod, uid } of pods) {
    const waiting = p.waiting ?? [];
    waiting.forEach((reason, i) => {
      const c = `${pod}-c${i}`;
      if (opts.legacyWaitingReasons) {
        for (const r of new Set([...LEGACY_REASONS, reason])) {
          out.push(
            `kube_pod_container_status_waiting_reason{namespace="${ns}",pod="${pod}",uid="${uid}",container="${c}",reason="${esc(r)}"} ${r === reason ? 1 : 0}`,
          );
        }
      } else {
        out.push(
          `kube_pod_container_status_waiting_reason{namespace="${ns}",pod="${pod}",uid="${uid}",container="${c}",reason="${esc(reason)}"} 1`,
        );
      }
    });
    if (opts.legacyWaitingReasons) {
      const others = p.containers ?? (waiting.length ? 0 : 1);
      for (let i = 0; i < others; i++) {
        for (const r of LEGACY_REASONS) {
          out.push(
            `kube_pod_container_status_waiting_reason{namespace="${ns}",pod="${pod}",uid="${uid}",container="${pod}-r${i}",reason="${r}"} 0`,
          );
        }
      }
    }
  }
  family('kube_pod_deletion_timestamp', 'Unix deletion timestamp');
  for (const { p, ns, pod, uid } of pods) {
    if (p.deleting) out.push(`kube_pod_deletion_timestamp{namespace="${ns}",pod="${pod}",uid="${uid}"} 1.7632e+09`);
  }
  return out.join('\n') + '\n' + (opts.full ? renderOtherFamilies(cluster, meta) : '');
}

/** SPEC §2 state of one fixture pod, as podglow should show it (the reference for tests). */
export function expectedState(p: KsmPod, crashReasons: readonly string[] = DEFAULT_CRASH_REASONS): keyof StateCounts {
  if (p.deleting) return 'terminating';
  if ((p.waiting ?? []).some((r) => crashReasons.includes(r))) return 'crashing';
  return ({ Failed: 'failed', Unknown: 'unknown', Pending: 'pending', Running: 'running', Succeeded: 'succeeded' } as const)[
    p.phase
  ];
}

/** Expected per-node and unscheduled counts of a fixture cluster (nodes not listed in `cluster.nodes` are dropped). */
export function expectedCounts(
  cluster: KsmCluster,
  opts: { crashReasons?: readonly string[]; namespace?: (ns: string) => boolean } = {},
): { nodes: Map<string, StateCounts>; unscheduled: StateCounts } {
  const nodes = new Map(cluster.nodes.map((n) => [n.name, emptyCounts()]));
  const unscheduled = emptyCounts();
  for (const p of cluster.pods) {
    if (opts.namespace && !opts.namespace(p.namespace ?? 'default')) continue;
    const target = p.node ? nodes.get(p.node) : unscheduled;
    if (target) target[expectedState(p, opts.crashReasons)]++;
  }
  return { nodes, unscheduled };
}

/**
 * A deterministic large cluster for benchmarks: `nodes` nodes named node-1…, `podsPerNode`
 * pods each in a few namespaces, mostly running with a sprinkle of every other state,
 * some unscheduled pods, one NotReady and one cordoned node.
 */
export function generateCluster(opts: { nodes: number; podsPerNode: number; unscheduled?: number; seed?: number }): KsmCluster {
  let state = (opts.seed ?? 1) >>> 0 || 1;
  const rand = () => {
    // xorshift32: fast and reproducible
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x100000000;
  };
  const namespaces = ['default', 'kube-system', 'monitoring', 'team-a', 'team-b'];
  const nodes: KsmNode[] = [];
  const pods: KsmPod[] = [];
  for (let i = 1; i <= opts.nodes; i++) {
    nodes.push({ name: `node-${i}`, ready: i === 2 ? false : true, unschedulable: i === 3 });
  }
  const pick = (node: string | undefined, j: number): KsmPod => {
    const r = rand();
    const namespace = namespaces[j % namespaces.length]!;
    const name = `${node ?? 'unscheduled'}-pod-${j}`;
    if (!node) return { name, namespace, phase: 'Pending' };
    if (r < 0.8) return { name, namespace, node, phase: 'Running' };
    if (r < 0.86) return { name, namespace, node, phase: 'Pending', waiting: r < 0.83 ? ['ContainerCreating'] : undefined };
    if (r < 0.9) return { name, namespace, node, phase: 'Running', deleting: true };
    if (r < 0.93) return { name, namespace, node, phase: 'Running', waiting: ['CrashLoopBackOff'] };
    if (r < 0.95) return { name, namespace, node, phase: 'Pending', waiting: ['ImagePullBackOff'] };
    if (r < 0.97) return { name, namespace, node, phase: 'Failed' };
    if (r < 0.98) return { name, namespace, node, phase: 'Unknown' };
    return { name, namespace, node, phase: 'Succeeded' };
  };
  for (const n of nodes) for (let j = 0; j < opts.podsPerNode; j++) pods.push(pick(n.name, j));
  for (let j = 0; j < (opts.unscheduled ?? Math.ceil(opts.nodes / 20)); j++) pods.push(pick(undefined, j));
  return { nodes, pods };
}

/** A running fixture: one or more identical "kube-state-metrics replicas" on 127.0.0.1. */
export interface KsmFixture {
  /** `127.0.0.1:PORT` of each replica, for a Prometheus scrape config. */
  targets: string[];
  /** Metrics URL of each replica. */
  urls: string[];
  /** Current scenario generation (bumped by every set()). */
  readonly generation: number;
  /** Scrapes served so far (all replicas). */
  readonly scrapes: number;
  /** Switches scenario; null = kube-state-metrics exports nothing. Returns the new generation. */
  set(cluster: KsmCluster | null, render?: RenderOptions): number;
  /** Makes replica `index` alone serve `cluster` (replicas disagreeing, e.g. on a pod's node) until the next set(). Returns the new generation. */
  setReplica(index: number, cluster: KsmCluster): number;
  /** Serves this exposition text verbatim (plus the generation gauge), e.g. lines copied from kube-state-metrics' tests. Returns the new generation. */
  setText(text: string): number;
  /** Makes every scrape fail with this HTTP status (null: serve metrics again). Returns the new generation. */
  fail(status: number | null): number;
  /** Series all replicas serve together now (what a backend holds once it has them all). */
  seriesCount(): number;
  /** The exposition text currently served. */
  text(): string;
  close(): Promise<void>;
}

/**
 * Starts HTTP servers serving the same kube-state-metrics exposition at `/metrics`
 * (several replicas model several KSM instances: identical series, different `instance`).
 * The text is rendered once per scenario and served from memory, so large clusters are cheap to scrape.
 */
export async function startKsmFixture(
  opts: {
    cluster?: KsmCluster | null;
    replicas?: number;
    render?: RenderOptions;
    /** Serve `/metrics?resources=pods,nodes` as kube-state-metrics v2.18.0+ does (only those resources); default: ignore it, as older versions do. */
    resourcesParam?: boolean;
  } = {},
): Promise<KsmFixture> {
  let cluster: KsmCluster | null = opts.cluster ?? null;
  let render: RenderOptions = opts.render ?? {};
  let generation = 1;
  let failStatus: number | null = null;
  let body: Buffer | null = null;
  let rawText: string | null = null;
  const replicaClusters = new Map<number, KsmCluster>();
  const replicaBodies = new Map<number, Buffer>();
  let scrapes = 0;
  // Bodies for `?resources=`, per resource list; emptied with `body` on every change.
  const filtered = new Map<string, Buffer>();
  const current = () =>
    (body ??= Buffer.from(
      rawText === null ? renderExposition(cluster, generation, render) : `${renderExposition(null, generation)}${rawText}`,
    ));
  const servers: http.Server[] = [];
  for (let i = 0; i < (opts.replicas ?? 1); i++) {
    const server = http.createServer((req, res) => {
      if (req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404).end('not found\n');
        return;
      }
      scrapes++;
      if (failStatus !== null) {
        res.writeHead(failStatus, { 'Content-Type': 'text/plain' }).end('fixture failure\n');
        return;
      }
      const own = replicaClusters.get(i);
      let b: Buffer;
      if (own) {
        b = replicaBodies.get(i) ?? Buffer.from(renderExposition(own, generation, render));
        replicaBodies.set(i, b);
      } else b = current();
      const only = opts.resourcesParam ? requestedResources(req.url ?? '') : null;
      if (only) {
        const key = `${i}:${[...only].sort().join(',')}`;
        b = filtered.get(key) ?? Buffer.from(filterResources(b.toString(), only));
        filtered.set(key, b);
      }
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': b.length });
      res.end(b);
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    servers.push(server);
  }
  const targets = servers.map((s) => `127.0.0.1:${(s.address() as AddressInfo).port}`);
  return {
    targets,
    urls: targets.map((t) => `http://${t}/metrics`),
    get generation() {
      return generation;
    },
    get scrapes() {
      return scrapes;
    },
    set(next, r) {
      cluster = next;
      if (r) render = r;
      rawText = null;
      replicaClusters.clear();
      replicaBodies.clear();
      failStatus = null;
      body = null;
      filtered.clear();
      return ++generation;
    },
    setReplica(index, c) {
      replicaClusters.set(index, c);
      replicaBodies.clear();
      body = null;
      filtered.clear();
      return ++generation;
    },
    setText(text) {
      rawText = text.replace(/^[ \t]+/gm, '').replace(/\n*$/, '\n');
      failStatus = null;
      body = null;
      filtered.clear();
      return ++generation;
    },
    fail(status) {
      failStatus = status;
      body = null;
      filtered.clear();
      return ++generation;
    },
    seriesCount() {
      const series = (b: Buffer) =>
        b
          .toString('utf8')
          .split('\n')
          .filter((l) => l && !l.startsWith('#')).length;
      let n = 0;
      for (let i = 0; i < servers.length; i++) {
        const own = replicaClusters.get(i);
        n += series(own ? Buffer.from(renderExposition(own, generation, render)) : current());
      }
      return n;
    },
    text: () => current().toString('utf8'),
    async close() {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
