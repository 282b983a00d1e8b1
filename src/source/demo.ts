import type { Config } from '../config/schema.js';
import { dataStaleAfterMs } from '../config/load.js';
import { emptyAlerts, sortNodeNames, withClusters, type ClusterSnapshot, type Snapshot } from '../snapshot.js';
import type { Source } from './source.js';
import { emptyCounts, type PodState, type StateCounts } from '../states.js';
import { PollError } from './errors.js';
import { alertSeverity, queryResult } from './extras.js';
import { nameFilter } from './promql.js';

/** Worker nodes of the simulated cluster, like the original Unicorn HAT monitor's Pi cluster. */
export const DEMO_NODES = ['pi-1', 'pi-2', 'pi-3', 'pi-4'] as const;
/** Length of one scenario cycle in ticks; everything repeats after it. */
export const DEMO_CYCLE = 150;
/** Most pods the scheduler puts on one node; the rest stay unscheduled (Pending). */
const MAX_PODS_PER_NODE = 20;
/** Ticks a node must be NotReady before its pods are reported Unknown. */
const UNKNOWN_AFTER = 5;
/** A process that slept for long (a suspended laptop) skips ahead instead of replaying hours. */
const MAX_CATCH_UP = 2 * DEMO_CYCLE;

type PodPhase = 'pending' | 'running' | 'terminating' | 'succeeded' | 'failed';

/** One firing alert of the simulated cluster (its labels that podglow reads). */
export interface DemoAlert {
  alertname: string;
  severity: string;
  node?: string;
}

interface Pod {
  id: number;
  namespace: string;
  app: string;
  version: number;
  node: string | null;
  phase: PodPhase;
  /** Tick at which the current phase ends (start-up, termination, job run, clean-up). */
  until: number;
  /** Job outcome when its run ends. */
  fails?: boolean;
  /** A pod whose container keeps crashing (CrashLoopBackOff most of the time). */
  crashLoop?: boolean;
}

/** How many `web` replicas the scenario wants at a point of the cycle: 8 → 58 → 8. */
export function webReplicas(p: number): number {
  if (p < 6) return 8;
  if (p < 46) return Math.min(58, 8 + 5 * (Math.floor((p - 6) / 4) + 1));
  if (p < 62) return 58;
  if (p < 92) return Math.max(8, 58 - 10 * (Math.floor((p - 62) / 6) + 1));
  return 8;
}

/** Small deterministic PRNG (mulberry32), so a seed replays the same cluster. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A simulated cluster advanced one tick (one simulated second) at a time: a `web`
 * deployment scaling 8 → 58 → 8, a rolling update of `api` with surge and terminating pods,
 * a crash-looping pod, a CronJob (one run in four fails), pi-3 going NotReady and back,
 * pi-4 cordoned for a while, pi-2 under DiskPressure with a critical alert that fires and
 * resolves, and a cluster-wide warning during the rollout. Deterministic for a seed.
 */
export class DemoCluster {
  tick = 0;
  private readonly pods: Pod[] = [];
  private nextId = 1;
  private readonly random: () => number;
  private apiVersion = 1;
  private notReadySince: number | null = null;

  constructor(seed = 1) {
    this.random = prng(seed);
    for (const node of DEMO_NODES) this.add({ namespace: 'kube-system', app: 'kube-proxy', node, phase: 'running' });
    for (let i = 0; i < 4; i++) this.add({ namespace: 'demo', app: 'api', phase: 'running' });
    this.add({ namespace: 'demo', app: 'flaky', phase: 'running', crashLoop: true });
    for (let i = 0; i < webReplicas(0); i++) this.add({ namespace: 'demo', app: 'web', phase: 'running' });
    this.schedule();
  }

  /** Position in the scenario cycle. */
  get phase(): number {
    return this.tick % DEMO_CYCLE;
  }

  /** Ready condition of a node right now. */
  ready(node: string): boolean {
    return !(node === 'pi-3' && this.phase >= 100 && this.phase < 125);
  }

  /** True node conditions other than Ready right now: pi-2 runs short of disk after the web peak (while its band has free LEDs to show it). */
  conditions(node: string): string[] {
    return node === 'pi-2' && this.phase >= 65 && this.phase < 100 ? ['DiskPressure'] : [];
  }

  /**
   * Firing alerts right now, as Prometheus' ALERTS would list them: the Watchdog heartbeat
   * always, a critical disk alert on pi-2 that fires and resolves with its DiskPressure, and a
   * cluster-wide warning while the api rollout is under way.
   */
  alerts(): DemoAlert[] {
    const p = this.phase;
    const out: DemoAlert[] = [{ alertname: 'Watchdog', severity: 'none' }];
    if (p >= 78 && p < 96) out.push({ alertname: 'NodeFilesystemAlmostOutOfSpace', severity: 'critical', node: 'pi-2' });
    if (p >= 96 && p < 115) out.push({ alertname: 'KubeDeploymentRolloutStuck', severity: 'warning' });
    return out;
  }

  /** A simulated availability ratio (what an SLO query would return): it drops while the disk alert fires. */
  availability(): number {
    const p = this.phase;
    return p >= 78 && p < 96 ? 0.97 : 0.9995;
  }

  /** Whether a node is cordoned right now. */
  unschedulable(node: string): boolean {
    return node === 'pi-4' && this.phase >= 128 && this.phase < 145;
  }

  /** Advances the cluster by one tick. */
  step(): void {
    this.tick++;
    const p = this.phase;
    this.notReadySince = this.ready('pi-3') ? null : (this.notReadySince ?? this.tick);

    // Timers: pods finish starting, terminating, running a job, or get cleaned up.
    for (let i = this.pods.length - 1; i >= 0; i--) {
      const pod = this.pods[i]!;
      if (this.tick < pod.until) continue;
      if (pod.phase === 'pending' && pod.node && this.ready(pod.node)) {
        pod.phase = 'running';
        pod.until = pod.app === 'report' ? this.tick + 6 : Infinity;
      } else if (pod.phase === 'running' && pod.app === 'report') {
        pod.phase = pod.fails ? 'failed' : 'succeeded';
        pod.until = this.tick + 45;
      } else if (pod.phase === 'terminating' || pod.phase === 'succeeded' || pod.phase === 'failed') {
        this.pods.splice(i, 1);
      }
    }

    this.scale('web', webReplicas(p));
    this.rollApi(p);
    if (p % 30 === 10) {
      const run = Math.floor(p / 30);
      this.add({ namespace: 'demo', app: 'report', phase: 'pending', until: this.tick + 2, fails: run === 2 });
    }
    this.schedule();
  }

  /** Pod counts per node and state as kube-state-metrics would show them now. */
  counts(include: (namespace: string) => boolean): { nodes: Map<string, StateCounts>; unscheduled: StateCounts } {
    const nodes = new Map<string, StateCounts>(DEMO_NODES.map((n) => [n, emptyCounts()]));
    const unscheduled = emptyCounts();
    const unknownNode = this.notReadySince !== null && this.tick - this.notReadySince >= UNKNOWN_AFTER ? 'pi-3' : null;
    for (const pod of this.pods) {
      if (!include(pod.namespace)) continue;
      const counts = pod.node ? nodes.get(pod.node)! : unscheduled;
      counts[this.displayState(pod, unknownNode)]++;
    }
    return { nodes, unscheduled };
  }

  private displayState(pod: Pod, unknownNode: string | null): PodState {
    if (pod.phase === 'terminating') return 'terminating';
    // The node stopped reporting: the pod controller marks its live pods Unknown; finished ones keep their phase.
    if (pod.node && pod.node === unknownNode && (pod.phase === 'running' || pod.phase === 'pending')) return 'unknown';
    // Kubelet restarts the container with a growing back-off; it runs briefly in between.
    if (pod.crashLoop && pod.phase === 'running' && this.tick % 15 >= 2) return 'crashing';
    return pod.phase;
  }

  private add(p: {
    namespace: string;
    app: string;
    phase: PodPhase;
    node?: string;
    until?: number;
    fails?: boolean;
    crashLoop?: boolean;
  }): Pod {
    const pod: Pod = {
      id: this.nextId++,
      namespace: p.namespace,
      app: p.app,
      version: p.app === 'api' ? this.apiVersion : 1,
      node: p.node ?? null,
      phase: p.phase,
      until: p.until ?? (p.phase === 'pending' ? this.tick + 2 + Math.floor(this.random() * 3) : Infinity),
      ...(p.fails ? { fails: true } : {}),
      ...(p.crashLoop ? { crashLoop: true } : {}),
    };
    this.pods.push(pod);
    return pod;
  }

  private live(app: string): Pod[] {
    return this.pods.filter((p) => p.app === app && (p.phase === 'pending' || p.phase === 'running'));
  }

  private terminate(pod: Pod): void {
    pod.phase = 'terminating';
    pod.until = this.tick + 3 + Math.floor(this.random() * 4);
  }

  private scale(app: string, replicas: number): void {
    const live = this.live(app);
    for (let i = live.length; i < replicas; i++) this.add({ namespace: 'demo', app, phase: 'pending' });
    if (live.length > replicas) {
      // Like the ReplicaSet controller: unscheduled first, then pending, then the newest.
      const victims = [...live].sort((a, b) => rank(a) - rank(b) || b.id - a.id).slice(0, live.length - replicas);
      for (const v of victims) this.terminate(v);
    }
  }

  /** Rolling update of `api` (maxSurge 1, maxUnavailable 0) in the middle of each cycle. */
  private rollApi(p: number): void {
    if (p === 95) this.apiVersion++;
    const live = this.live('api');
    const fresh = live.filter((x) => x.version === this.apiVersion);
    const old = live.filter((x) => x.version !== this.apiVersion);
    if (old.length === 0) {
      if (live.length < 4) this.add({ namespace: 'demo', app: 'api', phase: 'pending' });
      return;
    }
    const freshRunning = fresh.filter((x) => x.phase === 'running').length;
    if (freshRunning + old.length > 4) this.terminate(old[0]!);
    else if (fresh.every((x) => x.phase === 'running')) this.add({ namespace: 'demo', app: 'api', phase: 'pending' });
  }

  /** Binds unscheduled pods to the least loaded Ready, schedulable node with room. */
  private schedule(): void {
    const load = new Map<string, number>(DEMO_NODES.map((n) => [n, 0]));
    for (const pod of this.pods) if (pod.node) load.set(pod.node, load.get(pod.node)! + 1);
    for (const pod of this.pods) {
      if (pod.node || (pod.phase !== 'pending' && pod.phase !== 'running')) continue;
      const candidates = DEMO_NODES.filter((n) => this.ready(n) && !this.unschedulable(n) && load.get(n)! < MAX_PODS_PER_NODE);
      if (candidates.length === 0) continue;
      const least = Math.min(...candidates.map((n) => load.get(n)!));
      const best = candidates.filter((n) => load.get(n) === least);
      const node = best[Math.floor(this.random() * best.length)]!;
      pod.node = node;
      load.set(node, least + 1);
    }
  }
}

function rank(p: Pod): number {
  return p.node === null ? 0 : p.phase === 'pending' ? 1 : 2;
}

/** Options of the demo source: a seed and a clock (tests). */
export interface DemoSourceOptions {
  seed?: number;
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
  /** Real milliseconds per simulated tick (default 1000). */
  tickMs?: number;
}

/** Names the demo gives its clusters with `clusters: auto` or `podglow demo --clusters N`. */
export const DEMO_CLUSTER_NAMES = ['home', 'cloud', 'lab', 'staging', 'edge', 'office', 'garage', 'attic'] as const;

/** The names of `n` demo clusters (cluster-9 … beyond the named ones). */
export function demoClusterNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => DEMO_CLUSTER_NAMES[i] ?? `cluster-${i + 1}`);
}

/**
 * Part of each cycle during which the last of several demo clusters sends no new samples (its
 * Prometheus "died"): its data ages, it goes stale on its own LEDs, then comes back.
 */
export const DEMO_OUTAGE = { from: 30, to: 75 } as const;

/** The demo source: polls read the simulated cluster, advanced to the current time. */
export class DemoSource implements Source {
  readonly cluster: DemoCluster;
  /** With `clusters:`: one simulated cluster per name (the first is `cluster`). */
  private readonly clusters: {
    name: string;
    displayName?: string;
    sim: DemoCluster;
    last?: { block: ClusterSnapshot; tick: number };
  }[] = [];
  private readonly staleAfterMs: number;
  private readonly now: () => number;
  private readonly tickMs: number;
  private readonly start: number;
  private readonly includeNamespace: (ns: string) => boolean;
  private readonly includeNode: (node: string) => boolean;
  private readonly order: readonly string[];
  private readonly includeCondition: (condition: string) => boolean;
  private skipped = 0;

  constructor(
    private readonly config: Config,
    opts: DemoSourceOptions = {},
  ) {
    this.cluster = new DemoCluster(opts.seed ?? 1);
    this.now = opts.now ?? Date.now;
    this.tickMs = opts.tickMs ?? 1000;
    this.start = this.now();
    this.includeNamespace = nameFilter(config.namespaces.include, config.namespaces.exclude);
    this.includeNode = nameFilter(config.nodes.include, config.nodes.exclude);
    this.order = config.nodes.order;
    this.includeCondition = nameFilter(config.conditions.include, []);
    const list = config.clusters === 'auto' ? demoClusterNames(3).map((name) => ({ name })) : (config.clusters ?? []);
    list.forEach((c, i) => this.clusters.push({ ...c, sim: i === 0 ? this.cluster : new DemoCluster((opts.seed ?? 1) + 7 * i) }));
    this.staleAfterMs = dataStaleAfterMs(config);
  }

  async poll(signal?: AbortSignal): Promise<Snapshot> {
    if (signal?.aborted) throw new PollError('aborted', 'poll aborted');
    const now = this.now();
    const elapsed = Math.floor((now - this.start) / this.tickMs);
    if (elapsed - this.skipped - this.cluster.tick > MAX_CATCH_UP) this.skipped = elapsed - this.cluster.tick - MAX_CATCH_UP;
    const target = elapsed - this.skipped;
    for (const c of this.clusters.slice(1)) while (c.sim.tick < target) c.sim.step();
    while (this.cluster.tick < target) this.cluster.step();
    if (this.clusters.length) return this.pollClusters(now);
    return this.addAlertsAndQueries(this.snapshotOf(this.cluster, now), this.cluster);
  }

  /** One simulated cluster's snapshot now. */
  private snapshotOf(sim: DemoCluster, now: number): Snapshot {
    const { nodes, unscheduled } = sim.counts(this.includeNamespace);
    const names = sortNodeNames([...nodes.keys()].filter(this.includeNode), this.order);
    return {
      time: new Date(now).toISOString(),
      nodes: names.map((name) => ({
        name,
        ready: sim.ready(name),
        unschedulable: sim.unschedulable(name),
        pods: nodes.get(name)!,
        conditions: this.config.conditions.enabled ? sim.conditions(name).filter(this.includeCondition) : [],
        alerts: emptyAlerts(),
      })),
      unscheduled,
      alerts: emptyAlerts(),
      queries: {},
    };
  }

  /**
   * With `clusters:`: one block per simulated cluster. The last of two or more sends nothing
   * new during DEMO_OUTAGE of each cycle: its last block ages until it is stale, then it recovers.
   */
  private pollClusters(now: number): Snapshot {
    const blocks = this.clusters.map((c, i): ClusterSnapshot => {
      const phase = c.sim.phase;
      const down = i > 0 && i === this.clusters.length - 1 && phase >= DEMO_OUTAGE.from && phase < DEMO_OUTAGE.to;
      if (!down || !c.last) {
        const one = this.addAlertsAndQueries(this.snapshotOf(c.sim, now), c.sim);
        const block: ClusterSnapshot = {
          name: c.name,
          nodes: one.nodes,
          unscheduled: one.unscheduled,
          alerts: one.alerts,
          dataAgeSeconds: 0,
          stale: false,
        };
        if (c.displayName !== undefined) block.displayName = c.displayName;
        c.last = { block, tick: c.sim.tick };
        return block;
      }
      const age = Math.round(((c.sim.tick - c.last.tick) * this.tickMs) / 1000);
      return { ...c.last.block, dataAgeSeconds: age, stale: age * 1000 > this.staleAfterMs };
    });
    const queries = this.addAlertsAndQueries(this.snapshotOf(this.cluster, now), null).queries;
    return withClusters({ time: new Date(now).toISOString(), alerts: emptyAlerts(), queries }, blocks);
  }

  /** Counts the simulated alerts as the real source would (exclusions, severities, node or cluster-wide) and answers every named query. */
  private addAlertsAndQueries(snapshot: Snapshot, sim: DemoCluster | null): Snapshot {
    const a = this.config.alerts;
    if (a.enabled && sim) {
      for (const alert of sim.alerts()) {
        if (a.exclude.includes(alert.alertname)) continue;
        const sev = alertSeverity(a, alert.severity);
        if (!sev) continue;
        const node = snapshot.nodes.find((n) => n.name === alert.node);
        (node ? node.alerts : snapshot.alerts)[sev]++;
      }
    }
    // The demo has no Prometheus: every named query reads the simulated availability ratio.
    for (const [name, q] of Object.entries(this.config.queries)) {
      snapshot.queries[name] = queryResult(name, q, [{ metric: {}, value: this.cluster.availability() }]);
    }
    return snapshot;
  }

  close(): void {}
}

/** Creates the demo source (`source: demo`). */
export function createDemoSource(config: Config, opts: DemoSourceOptions = {}): Source {
  return new DemoSource(config, opts);
}
