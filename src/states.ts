/** Display states of a pod, in the precedence order of SPEC §2 (first match wins). */
export const POD_STATES = [
  'terminating',
  'crashing',
  'failed',
  'unknown',
  'pending',
  'running',
  'succeeded',
] as const;

/** One display state of a pod. */
export type PodState = (typeof POD_STATES)[number];

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
export const DEFAULT_FILL_ORDER: readonly PodState[] = [
  'running',
  'pending',
  'terminating',
  'unknown',
  'crashing',
  'failed',
];

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
