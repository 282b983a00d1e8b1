import type { NodeSnapshot } from '../snapshot.js';
import { NODE_SEVERITY_ORDER, isPodState, type NodeSignal, type PodState } from '../states.js';

/** Whether a non-pod entry of the severity order applies to this node. */
export function signalApplies(node: NodeSnapshot, signal: NodeSignal): boolean {
  switch (signal) {
    case 'notReady':
      return node.ready !== true;
    case 'alertCritical':
      return node.alerts.critical > 0;
    case 'alertWarning':
      return node.alerts.warning > 0;
    case 'condition':
      return node.conditions.length > 0;
    case 'cordoned':
      return node.unschedulable;
  }
}

/**
 * A node's colour by NODE_SEVERITY_ORDER (the `nodes` layout): the first entry that applies,
 * where a pod state applies when it is in `states` and the node has such a pod.
 */
export function nodeColourKey(node: NodeSnapshot, states: readonly PodState[]): NodeSignal | PodState | undefined {
  return NODE_SEVERITY_ORDER.find((k) => (isPodState(k) ? states.includes(k) && node.pods[k] > 0 : signalApplies(node, k)));
}

/** A matrix band's background: the first non-pod entry of NODE_SEVERITY_ORDER that applies. */
export function backgroundKey(node: NodeSnapshot): NodeSignal | undefined {
  return NODE_SEVERITY_ORDER.find((k): k is NodeSignal => !isPodState(k) && signalApplies(node, k));
}
