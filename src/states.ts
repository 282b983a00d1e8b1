/** Display states of a pod, in the precedence order of SPEC §2 (first match wins). */
export const POD_STATES = ['terminating', 'crashing', 'failed', 'unknown', 'pending', 'running', 'succeeded'] as const;

/** One display state of a pod. */
export type PodState = (typeof POD_STATES)[number];

/** True when `s` is one of the pod display states. */
export function isPodState(s: string): s is PodState {
  return (POD_STATES as readonly string[]).includes(s);
}

/** Most severe first: used where an alarm must win (overflow, one LED per node). */
export const SEVERITY_ORDER: readonly PodState[] = [
  'failed',
  'crashing',
  'terminating',
  'unknown',
  'pending',
  'running',
  'succeeded',
];

/** Default order in which a matrix band lays out pods (succeeded hidden). */
export const DEFAULT_FILL_ORDER: readonly PodState[] = ['running', 'pending', 'terminating', 'unknown', 'crashing', 'failed'];

/** Container waiting reasons that make a pod `crashing` unless configured otherwise. */
export const DEFAULT_CRASH_REASONS: readonly string[] = [
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'InvalidImageName',
  'RunContainerError',
];

/** Pod counts for every state; all seven keys are always present. */
export type StateCounts = Record<PodState, number>;

/** A StateCounts with every state at zero. */
export function emptyCounts(): StateCounts {
  return { terminating: 0, crashing: 0, failed: 0, unknown: 0, pending: 0, running: 0, succeeded: 0 };
}

/** What can decide a node's colour besides its pods (palette keys of the same name). */
export type NodeSignal = 'notReady' | 'alertCritical' | 'alertWarning' | 'condition' | 'cordoned';

/**
 * The one severity order for a node's colour (SPEC §4b, docs/layouts.md "Severity order"): the first
 * entry that applies wins. Not-Ready and critical alerts outrank every pod state; failed and
 * crashing pods outrank warnings; warnings and node conditions (DiskPressure, …) outrank the
 * milder pod states; cordon shows only where nothing else does. The `nodes` layout uses it
 * whole (pod states it does not list are skipped); a `matrix` band, whose pods have their own
 * LEDs, takes its background from the first non-pod entry that applies.
 */
export const NODE_SEVERITY_ORDER: readonly (NodeSignal | PodState)[] = [
  'notReady',
  'alertCritical',
  'failed',
  'crashing',
  'alertWarning',
  'condition',
  'terminating',
  'unknown',
  'pending',
  'running',
  'succeeded',
  'cordoned',
];
