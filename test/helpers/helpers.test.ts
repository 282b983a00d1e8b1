// The test helpers other suites rely on: the KSM fixture and the Prometheus launcher.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectedCounts, expectedState, generateCluster, podUid, renderExposition, startKsmFixture } from './ksmFixture.js';
import { requirePrometheus } from './prometheus.js';

afterEach(() => vi.unstubAllEnvs());

describe('ksmFixture', () => {
  it('renders kube-state-metrics exposition lines', () => {
    const text = renderExposition(
      {
        nodes: [{ name: 'pi-1', unschedulable: true, ready: false }],
        pods: [
          {
            name: 'web',
            namespace: 'shop',
            uid: 'u1',
            node: 'pi-1',
            phase: 'Running',
            waiting: ['CrashLoopBackOff'],
            deleting: true,
          },
          { name: 'queued', phase: 'Pending' },
        ],
      },
      7,
    );
    const lines = text.split('\n');
    expect(lines).toContain('ksm_fixture_generation{generation="7"} 7');
    expect(lines).toContain('kube_node_spec_unschedulable{node="pi-1"} 1');
    expect(lines).toContain('kube_node_status_condition{node="pi-1",condition="Ready",status="false"} 1');
    expect(lines).toContain('kube_node_status_condition{node="pi-1",condition="Ready",status="true"} 0');
    expect(lines).toContain('kube_pod_status_phase{namespace="shop",pod="web",uid="u1",phase="Running"} 1');
    expect(lines).toContain('kube_pod_status_phase{namespace="shop",pod="web",uid="u1",phase="Pending"} 0');
    expect(lines).toContain(
      'kube_pod_container_status_waiting_reason{namespace="shop",pod="web",uid="u1",container="web-c0",reason="CrashLoopBackOff"} 1',
    );
    expect(lines).toContain('kube_pod_deletion_timestamp{namespace="shop",pod="web",uid="u1"} 1.7632e+09');
    expect(lines.find((l) => l.startsWith('kube_pod_info{namespace="default",pod="queued"'))).toContain('node=""');
    expect(lines).toContain('# TYPE kube_pod_info gauge');
    // Every sample line is `name{labels} value`.
    for (const l of lines.filter((x) => x && !x.startsWith('#'))) expect(l).toMatch(/^[a-z_]+(\{[^}]*\})? [-+0-9.e]+$/);
  });

  it('computes the expected SPEC §2 state and counts', () => {
    expect(expectedState({ name: 'a', phase: 'Running', deleting: true, waiting: ['CrashLoopBackOff'] })).toBe('terminating');
    expect(expectedState({ name: 'a', phase: 'Pending', waiting: ['ImagePullBackOff'] })).toBe('crashing');
    expect(expectedState({ name: 'a', phase: 'Pending', waiting: ['ContainerCreating'] })).toBe('pending');
    const big = generateCluster({ nodes: 10, podsPerNode: 30 });
    expect(big.pods).toHaveLength(301);
    const want = expectedCounts(big);
    const total = [...want.nodes.values()].reduce((n, c) => n + Object.values(c).reduce((a, b) => a + b, 0), 0);
    expect(total).toBe(300);
    expect(want.unscheduled.pending).toBe(1);
    expect(podUid('ns', 'a')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(podUid('ns', 'a')).toBe(podUid('ns', 'a'));
    expect(podUid('ns', 'a')).not.toBe(podUid('ns', 'b'));
  });

  it('serves the same text from every replica and switches scenario at run time', async () => {
    const f = await startKsmFixture({ cluster: null, replicas: 2 });
    try {
      const get = (i: number) => fetch(f.urls[i]!).then(async (r) => ({ status: r.status, text: await r.text() }));
      expect((await get(0)).text).toBe(
        '# HELP ksm_fixture_generation Scenario generation of the podglow test fixture.\n# TYPE ksm_fixture_generation gauge\nksm_fixture_generation{generation="1"} 1\n',
      );
      const gen = f.set({ nodes: [{ name: 'pi-1' }], pods: [] });
      expect(gen).toBe(2);
      const [a, b] = await Promise.all([get(0), get(1)]);
      expect(a.text).toBe(b.text);
      expect(a.text).toContain('kube_node_info{node="pi-1"');
      f.fail(503);
      expect((await get(1)).status).toBe(503);
      expect(f.scrapes).toBe(4);
    } finally {
      await f.close();
    }
  });
});

describe('prometheus launcher', () => {
  it('says how to install prometheus when it is not on PATH', () => {
    vi.stubEnv('PATH', '/nonexistent');
    expect(() => requirePrometheus()).toThrow('install prometheus (apt-get install prometheus)');
  });
});
