// Pod and node shapes as kube-state-metrics exports them, with the Snapshot podglow must make
// of them. Series lines are copied from kube-state-metrics' own tests (kubernetes/
// kube-state-metrics @ c92fe0c, internal/store/pod_test.go and node_test.go; line numbers
// given per shape) and, where a test filters a family out (its MetricNames), written in the
// generator's label layout (internal/store/pod.go). KSM's tests reuse pod identities (several
// cases are ns4/pod4/uid4); here a reused identity gets its own pod name, noted per shape.
import { emptyCounts, type StateCounts } from '../../src/states.js';
import { emptyAlerts, type Snapshot } from '../../src/snapshot.js';

/** One pod shape: its series, what `kubectl get pods` shows, and podglow's state (SPEC §2). */
export interface KsmShape {
  what: string;
  kubectl: string;
  node: string;
  state: keyof StateCounts;
  lines: string[];
}

const PHASES = ['Failed', 'Pending', 'Running', 'Succeeded', 'Unknown'];

/** kube_pod_info and the five kube_pod_status_phase rows (pod.go createPodInfoFamilyGenerator / createPodStatusPhaseFamilyGenerator; pod_test.go 1092-1104 and 1325-1334 give the layout). */
function pod(ns: string, name: string, uid: string, node: string, phase: string): string[] {
  return [
    `kube_pod_info{created_by_kind="ReplicaSet",created_by_name="${name}-rs",host_ip="1.1.1.1",namespace="${ns}",node="${node}",pod="${name}",pod_ip="1.2.3.4",uid="${uid}",priority_class="",host_network="false"} 1`,
    ...PHASES.map(
      (p) => `kube_pod_status_phase{namespace="${ns}",phase="${p}",pod="${name}",uid="${uid}"} ${p === phase ? 1 : 0}`,
    ),
  ];
}

/** Nodes of node_test.go: 127.0.0.1 cordoned and Ready (63-64, 145, 192-194), 127.0.0.2 Ready unknown (220-222), 127.0.0.3 NotReady (248-250). */
export const SHAPE_NODES: string[] = [
  'kube_node_info{container_runtime_version="rkt",kernel_version="kernel",kubelet_version="kubelet",kubeproxy_version="deprecated",node="127.0.0.1",os_image="osimage",pod_cidr="172.24.10.0/24",provider_id="provider://i-uniqueid",internal_ip="1.2.3.4",system_uuid="6a934e21-5207-4a84-baea-3a952d926c80"} 1',
  'kube_node_info{container_runtime_version="rkt",kernel_version="kernel",kubelet_version="kubelet",kubeproxy_version="deprecated",node="127.0.0.2",os_image="osimage",pod_cidr="172.24.10.0/24",provider_id="provider://i-uniqueid",internal_ip="1.2.3.5",system_uuid="6a934e21-5207-4a84-baea-3a952d926c81"} 1',
  'kube_node_info{container_runtime_version="rkt",kernel_version="kernel",kubelet_version="kubelet",kubeproxy_version="deprecated",node="127.0.0.3",os_image="osimage",pod_cidr="172.24.10.0/24",provider_id="provider://i-uniqueid",internal_ip="1.2.3.6",system_uuid="6a934e21-5207-4a84-baea-3a952d926c82"} 1',
  'kube_node_spec_unschedulable{node="127.0.0.1"} 1',
  'kube_node_spec_unschedulable{node="127.0.0.2"} 0',
  'kube_node_spec_unschedulable{node="127.0.0.3"} 0',
  'kube_node_status_condition{condition="NetworkUnavailable",node="127.0.0.1",status="false"} 0',
  'kube_node_status_condition{condition="NetworkUnavailable",node="127.0.0.1",status="true"} 1',
  'kube_node_status_condition{condition="NetworkUnavailable",node="127.0.0.1",status="unknown"} 0',
  'kube_node_status_condition{condition="Ready",node="127.0.0.1",status="false"} 0',
  'kube_node_status_condition{condition="Ready",node="127.0.0.1",status="true"} 1',
  'kube_node_status_condition{condition="Ready",node="127.0.0.1",status="unknown"} 0',
  'kube_node_status_condition{condition="Ready",node="127.0.0.2",status="false"} 0',
  'kube_node_status_condition{condition="Ready",node="127.0.0.2",status="true"} 0',
  'kube_node_status_condition{condition="Ready",node="127.0.0.2",status="unknown"} 1',
  'kube_node_status_condition{condition="Ready",node="127.0.0.3",status="false"} 1',
  'kube_node_status_condition{condition="Ready",node="127.0.0.3",status="true"} 0',
  'kube_node_status_condition{condition="Ready",node="127.0.0.3",status="unknown"} 0',
];

/** Every pod shape the issue names, each decided by what `kubectl get pods` shows and SPEC §2. */
export const KSM_SHAPES: KsmShape[] = [
  {
    what: 'init container and container running (pod_test.go 458-540)',
    kubectl: 'Running',
    node: '127.0.0.1',
    state: 'running',
    lines: [
      ...pod('ns1', 'pod1', 'uid1', '127.0.0.1', 'Running'),
      'kube_pod_container_status_running{container="container1",namespace="ns1",pod="pod1",uid="uid1"} 1',
      'kube_pod_container_status_waiting{container="container1",namespace="ns1",pod="pod1",uid="uid1"} 0',
      'kube_pod_init_container_status_running{container="initcontainer1",namespace="ns1",pod="pod1",uid="uid1"} 1',
      'kube_pod_init_container_status_waiting{container="initcontainer1",namespace="ns1",pod="pod1",uid="uid1"} 0',
    ],
  },
  {
    what: 'two containers: one terminated OOMKilled, one waiting ContainerCreating (pod_test.go 600-666), counted once',
    kubectl: 'ContainerCreating (pod still Pending)',
    node: '127.0.0.1',
    state: 'pending',
    lines: [
      ...pod('ns2', 'pod2', 'uid2', '127.0.0.1', 'Pending'),
      'kube_pod_container_status_terminated_reason{container="container2",namespace="ns2",pod="pod2",reason="OOMKilled",uid="uid2"} 1',
      'kube_pod_container_status_waiting_reason{container="container3",namespace="ns2",pod="pod2",reason="ContainerCreating",uid="uid2"} 1',
      'kube_pod_container_status_waiting{container="container3",namespace="ns2",pod="pod2",uid="uid2"} 1',
    ],
  },
  {
    what: 'container waiting CrashLoopBackOff (pod_test.go 679-723)',
    kubectl: 'CrashLoopBackOff',
    node: '127.0.0.1',
    state: 'crashing',
    lines: [
      ...pod('ns3', 'pod3', 'uid3', '127.0.0.1', 'Running'),
      'kube_pod_container_status_waiting_reason{container="container4",namespace="ns3",pod="pod3",reason="CrashLoopBackOff",uid="uid3"} 1',
      'kube_pod_container_status_waiting{container="container4",namespace="ns3",pod="pod3",uid="uid3"} 1',
    ],
  },
  {
    what: 'running again after an OOMKill: last_terminated_reason OOMKilled (pod_test.go 746-807)',
    kubectl: 'Running (RESTARTS 1)',
    node: '127.0.0.1',
    state: 'running',
    lines: [
      ...pod('ns6', 'pod6', 'uid6', '127.0.0.1', 'Running'),
      'kube_pod_container_status_running{container="container7",namespace="ns6",pod="pod6",uid="uid6"} 1',
      'kube_pod_container_status_last_terminated_reason{container="container7",namespace="ns6",pod="pod6",reason="OOMKilled",uid="uid6"} 1',
      'kube_pod_container_status_last_terminated_exitcode{container="container7",namespace="ns6",pod="pod6",uid="uid6"} 137',
    ],
  },
  {
    what: 'container waiting ImagePullBackOff (pod_test.go 900-940)',
    kubectl: 'ImagePullBackOff',
    node: '127.0.0.3',
    state: 'crashing',
    lines: [
      ...pod('ns4', 'pod4', 'uid4', '127.0.0.3', 'Pending'),
      'kube_pod_container_status_waiting_reason{container="container5",namespace="ns4",pod="pod4",reason="ImagePullBackOff",uid="uid4"} 1',
    ],
  },
  {
    what: 'container waiting ErrImagePull (pod_test.go 952-992)',
    kubectl: 'ErrImagePull',
    node: '127.0.0.3',
    state: 'crashing',
    lines: [
      ...pod('ns5', 'pod5', 'uid5', '127.0.0.3', 'Pending'),
      'kube_pod_container_status_waiting_reason{container="container6",namespace="ns5",pod="pod5",reason="ErrImagePull",uid="uid5"} 1',
    ],
  },
  {
    what: 'container waiting CreateContainerConfigError (pod_test.go 1004-1044)',
    kubectl: 'CreateContainerConfigError',
    node: '127.0.0.3',
    state: 'crashing',
    lines: [
      ...pod('ns7', 'pod7', 'uid7', '127.0.0.3', 'Pending'),
      'kube_pod_container_status_waiting_reason{container="container8",namespace="ns7",pod="pod7",reason="CreateContainerConfigError",uid="uid7"} 1',
    ],
  },
  {
    // pod.go createPodInitContainerStatusWaitingReasonFamilyGenerator: labels container, reason; value 1.
    what: 'init container waiting CrashLoopBackOff, pod Pending',
    kubectl: 'Init:CrashLoopBackOff',
    node: '127.0.0.2',
    state: 'crashing',
    lines: [
      ...pod('ns-init', 'init-crash', 'uid-init-crash', '127.0.0.2', 'Pending'),
      'kube_pod_init_container_status_waiting_reason{container="initcontainer1",namespace="ns-init",pod="init-crash",reason="CrashLoopBackOff",uid="uid-init-crash"} 1',
      'kube_pod_container_status_waiting_reason{container="container1",namespace="ns-init",pod="init-crash",reason="PodInitializing",uid="uid-init-crash"} 1',
    ],
  },
  {
    // Same generator (pod.go createPodInitContainerStatusWaitingReasonFamilyGenerator), one row per init container.
    what: 'init container waiting ImagePullBackOff, second init container not started',
    kubectl: 'Init:ImagePullBackOff',
    node: '127.0.0.2',
    state: 'crashing',
    lines: [
      ...pod('ns-init', 'init-pull', 'uid-init-pull', '127.0.0.2', 'Pending'),
      'kube_pod_init_container_status_waiting_reason{container="initcontainer1",namespace="ns-init",pod="init-pull",reason="ImagePullBackOff",uid="uid-init-pull"} 1',
      'kube_pod_init_container_status_waiting_reason{container="initcontainer2",namespace="ns-init",pod="init-pull",reason="PodInitializing",uid="uid-init-pull"} 1',
    ],
  },
  {
    // pod.go createPodInitContainerStatusRunningFamilyGenerator; the running row's layout as in pod_test.go 458-540.
    what: 'init container running, container waiting PodInitializing',
    kubectl: 'Init:0/1',
    node: '127.0.0.2',
    state: 'pending',
    lines: [
      ...pod('ns-init', 'init-running', 'uid-init-running', '127.0.0.2', 'Pending'),
      'kube_pod_init_container_status_running{container="initcontainer1",namespace="ns-init",pod="init-running",uid="uid-init-running"} 1',
      'kube_pod_container_status_waiting_reason{container="container1",namespace="ns-init",pod="init-running",reason="PodInitializing",uid="uid-init-running"} 1',
    ],
  },
  {
    // pod.go createPodInitContainerStatusWaitingReasonFamilyGenerator with a non-crash reason.
    what: 'init container waiting ContainerCreating',
    kubectl: 'Init:0/1',
    node: '127.0.0.2',
    state: 'pending',
    lines: [
      ...pod('ns-init', 'init-creating', 'uid-init-creating', '127.0.0.2', 'Pending'),
      'kube_pod_init_container_status_waiting_reason{container="initcontainer1",namespace="ns-init",pod="init-creating",reason="ContainerCreating",uid="uid-init-creating"} 1',
    ],
  },
  {
    // pod_test.go 1387-1401 shows the reason row (ns4/pod4, renamed: reused identity). The kubelet
    // evicts by failing the pod (phase Failed), so the phase rows say Failed.
    what: 'Evicted by the kubelet: kube_pod_status_reason Evicted, phase Failed',
    kubectl: 'Evicted',
    node: '127.0.0.1',
    state: 'failed',
    lines: [
      ...pod('ns4', 'pod4-evicted', 'uid4-evicted', '127.0.0.1', 'Failed'),
      'kube_pod_status_reason{namespace="ns4",pod="pod4-evicted",reason="Evicted",uid="uid4-evicted"} 1',
    ],
  },
  {
    // pod_test.go 1338-1361 (ns4/pod4, renamed), with the deletion timestamp of 1134-1137: the
    // node controller deletes pods of a lost node. kubectl prints Unknown for this one; SPEC §2
    // puts the deletion first (terminating), which is also what the pod is doing.
    what: 'NodeLost with a deletion timestamp',
    kubectl: 'Unknown (SPEC §2: terminating)',
    node: '127.0.0.2',
    state: 'terminating',
    lines: [
      ...pod('ns4', 'pod4-nodelost', 'uid4-nodelost', '127.0.0.2', 'Running'),
      'kube_pod_status_reason{namespace="ns4",pod="pod4-nodelost",reason="NodeLost",uid="uid4-nodelost"} 1',
      'kube_pod_deletion_timestamp{namespace="ns4",pod="pod4-nodelost",uid="uid4-nodelost"} 1.8e+09',
    ],
  },
  {
    // Waiting-reason row as in pod_test.go 679-723, deletion timestamp as in 1134-1137.
    what: 'terminating while a container crash-loops (deletion timestamp of pod_test.go 1134-1137, uid abc-123-xxx)',
    kubectl: 'Terminating',
    node: '127.0.0.1',
    state: 'terminating',
    lines: [
      ...pod('ns1', 'pod1-deleted', 'abc-123-xxx', '127.0.0.1', 'Running'),
      'kube_pod_deletion_timestamp{namespace="ns1",pod="pod1-deleted",uid="abc-123-xxx"} 1.8e+09',
      'kube_pod_container_status_waiting_reason{container="container1",namespace="ns1",pod="pod1-deleted",reason="CrashLoopBackOff",uid="abc-123-xxx"} 1',
    ],
  },
  {
    // pod.go createPodContainerStatusWaitingReasonFamilyGenerator: one row per container (pod_test.go 679-723 layout).
    what: 'two containers both crash-looping, counted once',
    kubectl: 'CrashLoopBackOff',
    node: '127.0.0.3',
    state: 'crashing',
    lines: [
      ...pod('ns8', 'pod8', 'uid8', '127.0.0.3', 'Running'),
      'kube_pod_container_status_waiting_reason{container="container1",namespace="ns8",pod="pod8",reason="CrashLoopBackOff",uid="uid8"} 1',
      'kube_pod_container_status_waiting_reason{container="container2",namespace="ns8",pod="pod8",reason="RunContainerError",uid="uid8"} 1',
    ],
  },
  {
    // pod_test.go 1596-1614 (ns4/pod4, renamed): a pod with scheduling gates is Pending with no node.
    what: 'SchedulingGated: kube_pod_status_reason SchedulingGated, PodScheduled false, no node',
    kubectl: 'SchedulingGated',
    node: '',
    state: 'pending',
    lines: [
      ...pod('ns4', 'pod4-gated', 'uid4-gated', '', 'Pending'),
      'kube_pod_status_reason{namespace="ns4",pod="pod4-gated",reason="SchedulingGated",uid="uid4-gated"} 1',
      'kube_pod_status_scheduled{condition="false",namespace="ns4",pod="pod4-gated",uid="uid4-gated"} 1',
      'kube_pod_status_scheduled{condition="true",namespace="ns4",pod="pod4-gated",uid="uid4-gated"} 0',
      'kube_pod_status_scheduled{condition="unknown",namespace="ns4",pod="pod4-gated",uid="uid4-gated"} 0',
    ],
  },
  {
    // pod_test.go 1833-1835 and 1860 (ns2/pod2, renamed).
    what: 'Unschedulable: kube_pod_status_unschedulable 1, PodScheduled false, no node',
    kubectl: 'Pending',
    node: '',
    state: 'pending',
    lines: [
      ...pod('ns2', 'pod2-unschedulable', 'uid2-unschedulable', '', 'Pending'),
      'kube_pod_status_scheduled{condition="false",namespace="ns2",pod="pod2-unschedulable",uid="uid2-unschedulable"} 1',
      'kube_pod_status_scheduled{condition="true",namespace="ns2",pod="pod2-unschedulable",uid="uid2-unschedulable"} 0',
      'kube_pod_status_scheduled{condition="unknown",namespace="ns2",pod="pod2-unschedulable",uid="uid2-unschedulable"} 0',
      'kube_pod_status_unschedulable{namespace="ns2",pod="pod2-unschedulable",uid="uid2-unschedulable"} 1',
    ],
  },
  {
    what: 'completed Job pod: terminated reason Completed (pod_test.go 546-591), phase Succeeded',
    kubectl: 'Completed',
    node: '127.0.0.3',
    state: 'succeeded',
    lines: [
      ...pod('ns1', 'pod1-job', 'uid1-job', '127.0.0.3', 'Succeeded'),
      'kube_pod_container_status_terminated_reason{container="container1",namespace="ns1",pod="pod1-job",reason="Completed",uid="uid1-job"} 1',
    ],
  },
];

/** The exposition of SHAPE_NODES and KSM_SHAPES, each family's lines together. */
export function shapesExposition(): string {
  const families = new Map<string, string[]>();
  for (const line of [...SHAPE_NODES, ...KSM_SHAPES.flatMap((s) => s.lines)]) {
    const name = line.slice(0, line.search(/[{ ]/));
    families.set(name, [...(families.get(name) ?? []), line]);
  }
  return [...families.values()].flat().join('\n') + '\n';
}

/** The exact Snapshot (time aside) podglow must make of shapesExposition(). */
export function shapesSnapshot(): Omit<Snapshot, 'time'> {
  const count = (node: string) => {
    const c = emptyCounts();
    for (const s of KSM_SHAPES) if (s.node === node) c[s.state]++;
    return c;
  };
  return {
    nodes: [
      {
        name: '127.0.0.1',
        ready: true,
        unschedulable: true,
        pods: count('127.0.0.1'),
        conditions: ['NetworkUnavailable'],
        alerts: emptyAlerts(),
      }, // node_test.go: NetworkUnavailable true
      { name: '127.0.0.2', ready: null, unschedulable: false, pods: count('127.0.0.2'), conditions: [], alerts: emptyAlerts() },
      { name: '127.0.0.3', ready: false, unschedulable: false, pods: count('127.0.0.3'), conditions: [], alerts: emptyAlerts() },
    ],
    unscheduled: count(''),
    alerts: emptyAlerts(),
    queries: {},
  };
}
