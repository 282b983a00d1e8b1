import { z } from 'zod';
import { ALERT_SEVERITIES, emptyAlerts, withClusters, type AlertCounts, type AlertSeverity, type Snapshot } from './snapshot.js';
import { POD_STATES, type PodState, type StateCounts } from './states.js';

/** Zod error option: "missing" for an absent key, else `msg`. */
const expect = (msg: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'missing' : msg),
});
const count = z.int(expect('must be a whole number of pods')).min(0, 'must not be negative');
const countShape = Object.fromEntries(POD_STATES.map((s) => [s, count])) as Record<PodState, typeof count>;
const countsSchema = z
  .object(countShape, expect('must be an object with a count for each of the seven states'))
  .strict() satisfies z.ZodType<StateCounts>;

const alertCount = z.int(expect('must be a whole number of alerts')).min(0, 'must not be negative');
const alertShape = Object.fromEntries(ALERT_SEVERITIES.map((s) => [s, alertCount.default(0)])) as Record<
  AlertSeverity,
  z.ZodDefault<typeof alertCount>
>;
// Snapshot files written before alerts existed have none: they default to zero.
const alertsSchema = z
  .object(alertShape, expect('must be an object with counts for critical, warning and info'))
  .strict()
  .default(emptyAlerts) satisfies z.ZodType<AlertCounts>;

const querySchema = z
  .object(
    {
      value: z.number(expect('must be a number or null')).nullable(),
      color: z
        .string()
        .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #00ff00')
        .optional(),
      error: z.string(expect('must be a string')).optional(),
    },
    expect('must be an object with value (and color or error)'),
  )
  .strict();

const time = z.iso.datetime({ offset: true, ...expect('must be an ISO 8601 time such as 2026-11-21T12:00:00.000Z') });
const nodeList = z
  .array(
    z.object(
      {
        name: z.string(expect('must be a string')).min(1, 'must not be empty'),
        ready: z.boolean(expect('must be true, false or null')).nullable(),
        unschedulable: z.boolean(expect('must be true or false')),
        pods: countsSchema,
        conditions: z
          .array(
            z.string(expect('must be a condition name')).min(1, 'must not be empty'),
            expect('must be a list of condition names'),
          )
          .default([])
          .transform((c) => [...new Set(c)].sort()),
        alerts: alertsSchema,
      },
      expect('must be an object'),
    ),
    expect('must be a list of nodes'),
  )
  .superRefine((nodes, ctx) => {
    const seen = new Set<string>();
    nodes.forEach((n, i) => {
      if (seen.has(n.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate node "${n.name}"` });
      seen.add(n.name);
    });
  });
const queries = z.record(z.string(), querySchema, expect('must be an object of named query results')).default({});

/** The snapshot JSON (SPEC §4, §4b), as `podglow snapshot --json` prints it; the §4b fields may be absent (older files). */
export const snapshotSchema = z.object(
  { time, nodes: nodeList, unscheduled: countsSchema, alerts: alertsSchema, queries },
  expect('must be an object'),
) satisfies z.ZodType<Snapshot, unknown>;

/** The snapshot JSON with `clusters:` (SPEC §3c): one block per cluster; read into a Snapshot with its flat node list rebuilt. */
export const clustersSnapshotSchema = z
  .object(
    {
      time,
      clusters: z.array(
        z
          .object(
            {
              name: z.string(expect('must be a string')).min(1, 'must not be empty'),
              displayName: z.string(expect('must be a string')).min(1, 'must not be empty').optional(),
              dataAgeSeconds: z.number(expect('must be a number of seconds or null')).min(0, 'must not be negative').nullable(),
              stale: z.boolean(expect('must be true or false')),
              nodes: nodeList,
              unscheduled: countsSchema,
              alerts: alertsSchema,
            },
            expect('must be an object'),
          )
          .strict(),
        expect('must be a list of clusters'),
      ),
      alerts: alertsSchema,
      queries,
    },
    expect('must be an object'),
  )
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.clusters.forEach((c, i) => {
      if (seen.has(c.name))
        ctx.addIssue({ code: 'custom', path: ['clusters', i, 'name'], message: `duplicate cluster "${c.name}"` });
      seen.add(c.name);
    });
  })
  .transform((s) =>
    withClusters(
      s,
      s.clusters.map((c) => (c.displayName === undefined ? (({ displayName: _d, ...rest }) => rest)(c) : c)),
    ),
  );
