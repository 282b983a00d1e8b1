// Several clusters feeding one central store (SPEC §3c), with real servers on 127.0.0.1: each
// "cluster" is a Prometheus scraping its own kube-state-metrics fixture with
// `external_labels: {cluster: …}`, and the central store gets their samples by remote write
// (Prometheus' receiver, VictoriaMetrics' /api/v1/write) or by scraping their /federate.
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  launchProcess,
  onFreePort,
  queryClient,
  requirePrometheus,
  stopChild,
  type TestPrometheus,
} from './prometheus.js';

/** How the edges reach the central store. */
export const STORE_KINDS = ['prometheus-remote-write', 'victoriametrics-remote-write', 'prometheus-federate'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** One cluster's Prometheus: scrapes `target` (a KSM fixture) and labels everything `cluster=name`. */
export interface EdgeSetup {
  name: string;
  target: string;
}

/** A running central store with its edges. */
export interface ClusterStore extends Pick<TestPrometheus, 'query' | 'waitForValue'> {
  kind: StoreKind;
  /** Base URL podglow reads. */
  url: string;
  /** Makes what was sent so far searchable (VictoriaMetrics buffers; a no-op elsewhere). */
  flush(): Promise<void>;
  /** Kills one cluster's Prometheus (SIGKILL: no goodbye, as when its node dies). */
  killEdge(name: string): Promise<void>;
  /** Starts that cluster's Prometheus again on the same port and data. */
  restartEdge(name: string): Promise<void>;
  stop(): Promise<void>;
}

interface Edge {
  name: string;
  dir: string;
  port: number;
  child: ChildProcess | null;
}

const INTERVAL = '1s';

function edgeArgs(e: Edge): string[] {
  return [
    `--config.file=${join(e.dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(e.dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${e.port}`,
    '--log.level=error',
  ];
}

async function launchEdge(e: Edge): Promise<void> {
  e.child = await launchProcess('prometheus', edgeArgs(e), `http://127.0.0.1:${e.port}/-/ready`);
}

/** Starts the central store of `kind` and one Prometheus per edge feeding it. */
export async function startClusterStore(kind: StoreKind, edges: EdgeSetup[]): Promise<ClusterStore> {
  requirePrometheus();
  const root = await mkdtemp(join(tmpdir(), 'podglow-clusters-'));
  const children: (() => ChildProcess | null)[] = [];
  const started: Edge[] = [];
  const stop = async () => {
    for (const c of children.reverse()) {
      const child = c();
      if (child) await stopChild(child);
    }
    await rm(root, { recursive: true, force: true });
  };
  try {
    // Edge ports first: a federating central store needs them in its config.
    for (const e of edges) started.push({ name: e.name, dir: join(root, e.name), port: await freePort(), child: null });
    let url: string;
    let flush = async () => {};
    if (kind === 'victoriametrics-remote-write') {
      const vm = await onFreePort(async (port) => {
        const u = `http://127.0.0.1:${port}`;
        // latencyOffset 1s: see test/helpers/victoriametrics.ts.
        const args = [
          `-httpListenAddr=127.0.0.1:${port}`,
          `-storageDataPath=${join(root, 'vm')}`,
          '-retentionPeriod=1d',
          '-search.latencyOffset=1s',
          '-loggerLevel=ERROR',
        ];
        return { child: await launchProcess('victoria-metrics', args, `${u}/health`), url: u };
      });
      children.push(() => vm.child);
      url = vm.url;
      flush = async () => {
        const r = await fetch(`${url}/internal/force_flush`);
        if (!r.ok) throw new Error(`VictoriaMetrics /internal/force_flush failed (${r.status})`);
      };
    } else {
      const dir = join(root, 'central');
      await mkdir(dir, { recursive: true });
      const federate = kind === 'prometheus-federate';
      const config = {
        global: { scrape_interval: INTERVAL },
        scrape_configs: federate
          ? [
              {
                job_name: 'federate',
                scrape_interval: INTERVAL,
                scrape_timeout: INTERVAL,
                honor_labels: true,
                metrics_path: '/federate',
                params: { 'match[]': ['{job="kube-state-metrics"}'] },
                static_configs: [{ targets: started.map((e) => `127.0.0.1:${e.port}`) }],
              },
            ]
          : [],
      };
      await writeFile(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
      const central = await onFreePort(async (port) => {
        const u = `http://127.0.0.1:${port}`;
        const args = [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--log.level=error',
        ];
        if (!federate) args.push('--web.enable-remote-write-receiver');
        return { child: await launchProcess('prometheus', args, `${u}/-/ready`), url: u };
      });
      children.push(() => central.child);
      url = central.url;
    }
    for (const [i, e] of started.entries()) {
      await mkdir(e.dir, { recursive: true });
      const config = {
        global: { scrape_interval: INTERVAL, external_labels: { cluster: e.name } },
        scrape_configs: [
          {
            job_name: 'kube-state-metrics',
            scrape_interval: INTERVAL,
            scrape_timeout: INTERVAL,
            honor_labels: true,
            static_configs: [{ targets: [edges[i]!.target] }],
          },
        ],
        ...(kind === 'prometheus-federate'
          ? {}
          : {
              remote_write: [
                {
                  url: `${url}/api/v1/write`,
                  queue_config: { batch_send_deadline: '100ms', min_backoff: '100ms', max_backoff: '1s' },
                },
              ],
            }),
      };
      await writeFile(join(e.dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
      await launchEdge(e);
      children.push(() => e.child);
    }
    const q = queryClient(url, flush);
    const edge = (name: string) => {
      const e = started.find((x) => x.name === name);
      if (!e) throw new Error(`no edge ${name}`);
      return e;
    };
    return {
      kind,
      url,
      flush,
      query: q.query,
      waitForValue: q.waitForValue,
      async killEdge(name) {
        const e = edge(name);
        if (!e.child) return;
        const gone = new Promise<void>((resolve) => e.child!.once('exit', () => resolve()));
        e.child.kill('SIGKILL');
        await gone;
        e.child = null;
      },
      async restartEdge(name) {
        const e = edge(name);
        if (!e.child) await launchEdge(e);
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
