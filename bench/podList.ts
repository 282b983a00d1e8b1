// The original Unicorn HAT monitor's approach (SPEC §0), reproduced for comparison:
// every poll it fetched `kubectl get pod -o json` and grouped the pods by
// spec.nodeName with jq. Here the PodList is synthetic but shaped like what
// `kubectl get pod -o json` prints (no managedFields, as kubectl hides them).
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** jq program: per-node counts of running and pending pods, as the original monitor grouped them. */
export const JQ_PROGRAM =
  '[.items[] | {node: (.spec.nodeName // ""), phase: .status.phase}] | group_by(.node) | ' +
  'map({node: .[0].node, running: map(select(.phase == "Running")) | length, pending: map(select(.phase == "Pending")) | length})';

function pod(node: string, i: number, ns: string): unknown {
  const app = `app-${i % 17}`;
  const name = `${app}-7d9f8c${(i * 7919).toString(36).padStart(4, '0')}-${(i * 104729).toString(36).slice(-5)}`;
  const uid = `${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}-1f2e-4d3c-8b7a-${node.length.toString(16).padStart(4, '0')}${i.toString(16).padStart(8, '0')}`;
  const phase = i % 29 === 0 ? 'Pending' : 'Running';
  const started = '2026-11-20T08:15:30Z';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      creationTimestamp: started,
      generateName: `${app}-7d9f8c-`,
      labels: { 'app.kubernetes.io/name': app, 'app.kubernetes.io/instance': app, 'pod-template-hash': '7d9f8c' },
      annotations: {
        'kubectl.kubernetes.io/restartedAt': '2026-11-19T10:00:00Z',
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '8080',
      },
      name,
      namespace: ns,
      ownerReferences: [
        { apiVersion: 'apps/v1', blockOwnerDeletion: true, controller: true, kind: 'ReplicaSet', name: `${app}-7d9f8c`, uid },
      ],
      resourceVersion: String(100000 + i),
      uid,
    },
    spec: {
      containers: [
        {
          name: app,
          image: `registry.example.org/team/${app}:1.4.${i % 9}`,
          imagePullPolicy: 'IfNotPresent',
          ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
          env: [
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
          ],
          resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '50m', memory: '64Mi' } },
          livenessProbe: {
            httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' },
            periodSeconds: 10,
            timeoutSeconds: 1,
            successThreshold: 1,
            failureThreshold: 3,
          },
          readinessProbe: {
            httpGet: { path: '/ready', port: 'http', scheme: 'HTTP' },
            periodSeconds: 5,
            timeoutSeconds: 1,
            successThreshold: 1,
            failureThreshold: 3,
          },
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          volumeMounts: [
            {
              mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
              name: `kube-api-access-${i.toString(36)}`,
              readOnly: true,
            },
          ],
        },
      ],
      dnsPolicy: 'ClusterFirst',
      enableServiceLinks: true,
      nodeName: node,
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      securityContext: {},
      serviceAccount: 'default',
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 30,
      tolerations: [
        { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
        { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
      ],
      volumes: [
        {
          name: `kube-api-access-${i.toString(36)}`,
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
              {
                downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] },
              },
            ],
          },
        },
      ],
    },
    status: {
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
        lastProbeTime: null,
        lastTransitionTime: started,
        status: phase === 'Running' ? 'True' : 'False',
        type,
      })),
      containerStatuses: [
        {
          containerID: `containerd://${uid.replace(/-/g, '')}${uid.replace(/-/g, '')}`,
          image: `registry.example.org/team/${app}:1.4.${i % 9}`,
          imageID: `registry.example.org/team/${app}@sha256:${'0123456789abcdef'.repeat(4)}`,
          lastState: {},
          name: app,
          ready: phase === 'Running',
          restartCount: i % 3,
          started: phase === 'Running',
          state: phase === 'Running' ? { running: { startedAt: started } } : { waiting: { reason: 'ContainerCreating' } },
        },
      ],
      hostIP: `10.0.${(i >> 8) & 255}.${i & 255}`,
      phase,
      podIP: `10.244.${(i >> 8) & 255}.${i & 255}`,
      podIPs: [{ ip: `10.244.${(i >> 8) & 255}.${i & 255}` }],
      qosClass: 'Burstable',
      startTime: started,
    },
  };
}

/** A PodList of `nodes × podsPerNode` realistic pods, as `kubectl get pod -A -o json` prints it. */
export function makePodList(nodes: number, podsPerNode: number): string {
  const items: unknown[] = [];
  let i = 0;
  for (let n = 0; n < nodes; n++) {
    for (let p = 0; p < podsPerNode; p++) items.push(pod(`node-${n}`, i++, `ns-${p % 10}`));
  }
  return JSON.stringify({ apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } }, null, 4);
}

/** Bytes of the PodList and jq's CPU seconds (user + system) for one run of JQ_PROGRAM on it. */
export function measureJqPoll(podList: string): { bytes: number; jqCpuSeconds: number; nodesOut: number } {
  const dir = mkdtempSync(join(tmpdir(), 'podglow-podlist-'));
  try {
    const file = join(dir, 'pods.json');
    writeFileSync(file, podList);
    // `times` prints the children's user and system time: jq's CPU, not wall time.
    const r = spawnSync(
      'bash',
      ['-c', `jq -c "$1" < "$2" > "$3/out.json" && times && jq length "$3/out.json"`, 'bash', JQ_PROGRAM, file, dir],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      },
    );
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`jq failed (is Debian's jq installed?): ${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    const child = lines[1]!.trim().split(/\s+/);
    const secs = (t: string): number => {
      const m = /^(\d+)m([\d.]+)s$/.exec(t);
      return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
    };
    return { bytes: Buffer.byteLength(podList), jqCpuSeconds: secs(child[0]!) + secs(child[1]!), nodesOut: Number(lines[2]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
