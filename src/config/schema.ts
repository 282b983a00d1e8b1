import { z } from 'zod';
import { nodeCron } from '../loop/nodeCron.js';
import { POD_STATES, DEFAULT_CRASH_REASONS, DEFAULT_FILL_ORDER, isPodState } from '../states.js';
import { DURATION_RE, parseDuration } from './duration.js';
import { regexProblem } from './regex.js';
import { matcherProblem, promqlProblem } from './promql.js';

const hexColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #00ff00');
const state = z.enum(POD_STATES, { error: () => `must be one of ${POD_STATES.join(', ')}` });
/** The states a node or cluster colour is chosen from (nodes and clusters layouts): all but succeeded by default. */
const shownStates = z
  .array(state)
  .min(1)
  .default(POD_STATES.filter((s) => s !== 'succeeded'));
const duration = z.string().regex(DURATION_RE, 'must be a duration such as 500ms, 10s or 1m').transform(parseDuration);
// Namespace, node, condition and alert regexes: RE2, as Prometheus parses them (checked with re2js).
const regex = z.string().superRefine((s, ctx) => {
  const problem = regexProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** True when `tz` is an IANA time zone name this runtime knows (Intl throws on any other). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return tz.length > 0;
  } catch {
    return false;
  }
}

/** Shortest poll interval: a shorter one would hammer Prometheus (`0s` spins). */
export const MIN_INTERVAL_MS = 1000;
const cron = z.string().refine((s) => nodeCron().validate(s), 'must be a valid cron expression (e.g. "0 22 * * *")');
const fraction = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');

/** Colour names a palette can set: every pod state, the marker colours, then alerts, node conditions and query errors (SPEC §4b). */
export const PALETTE_KEYS = [
  ...POD_STATES,
  'overflow',
  'notReady',
  'cordoned',
  'status',
  'alertCritical',
  'alertWarning',
  'alertInfo',
  'condition',
  'queryError',
] as const;
/** One key of a palette. */
export type PaletteKey = (typeof PALETTE_KEYS)[number];

/** Built-in palettes (SPEC §5); `unicorn-classic` and `blinkstick-classic` reproduce the original monitors. */
export const PALETTE_PRESETS = ['default', 'unicorn-classic', 'blinkstick-classic'] as const;

const paletteSchema = z
  .object({
    preset: z.enum(PALETTE_PRESETS).default('default'),
    /** Overrides per state or marker, `#rrggbb`. */
    colors: z.partialRecord(z.enum(PALETTE_KEYS), hexColor).default({}),
    /** States (or other palette keys, e.g. alertCritical) whose LEDs blink; default from the preset. */
    blink: z.array(z.enum(PALETTE_KEYS, { error: () => `must be one of ${PALETTE_KEYS.join(', ')}` })).optional(),
  })
  .strict();

const matrixLayout = z
  .object({
    type: z.literal('matrix'),
    columnsPerNode: z.union([z.literal('auto'), z.int().min(1, 'must be at least 1')]).default('auto'),
    origin: z.enum(['bottom', 'top']).default('bottom'),
    fillOrder: z
      .array(state)
      .min(1)
      .default([...DEFAULT_FILL_ORDER]),
    pageSeconds: z.number().positive().default(10),
    /**
     * One node only, its band across the whole output (a Pi showing its own pods): a node
     * name, or `$NODE_NAME` for the node in the NODE_NAME environment variable (a DaemonSet).
     */
    node: z.string().min(1).optional(),
  })
  .strict();

const nodesLayout = z
  .object({
    type: z.literal('nodes'),
    /** States that count when choosing each node's colour (most severe wins). */
    states: shownStates,
  })
  .strict();

/** Summary LED entries beyond pod states (SPEC §4b): alerts by severity, a node condition, a named query. */
export const SUMMARY_ENTRY_RE =
  /^(?:alert:(?:critical|warning|info)|condition:[A-Za-z][A-Za-z0-9_.-]*|query:[a-zA-Z_][a-zA-Z0-9_]*)$/;
const summaryEntry = z
  .string({ error: () => 'must be a string' })
  .refine(
    (s) => isPodState(s) || SUMMARY_ENTRY_RE.test(s),
    `must be a pod state (${POD_STATES.join(', ')}), alert:critical, alert:warning, alert:info, condition:<Name> or query:<name>`,
  );

const summaryLed = z
  .object({
    /** Pod states and `alert:…`, `condition:…`, `query:…` entries; the first that applies lights the LED. */
    states: z.array(summaryEntry).min(1),
    /** Shown when none of `states` has a pod: `off`, a state's colour, or `#rrggbb`. */
    otherwise: z.union([z.literal('off'), state, hexColor]).default('off'),
  })
  .strict();

/** The two-LED behaviour of the original BlinkStick monitor (SPEC §5). */
export const DEFAULT_SUMMARY_LEDS = [
  { states: ['running', 'terminating', 'pending'], otherwise: 'off' },
  { states: ['failed', 'crashing', 'terminating', 'pending'], otherwise: 'running' },
] as const satisfies readonly z.input<typeof summaryLed>[];

const summaryLayout = z
  .object({
    type: z.literal('summary'),
    /** Node to summarise; `*` for the whole cluster; default the NODE_NAME environment variable. */
    node: z.string().min(1).optional(),
    /** With `clusters:`, the cluster (its label value) whose nodes `node` names; without it, the whole light. */
    cluster: z.string().min(1).optional(),
    leds: z
      .array(summaryLed)
      .min(1)
      .default(DEFAULT_SUMMARY_LEDS.map((l) => ({ states: [...l.states], otherwise: l.otherwise }))),
  })
  .strict();

const clustersLayout = z
  .object({
    type: z.literal('clusters'),
    /** States that count when choosing each cluster's colour (most severe over all its nodes wins). */
    states: shownStates,
  })
  .strict();

const layoutSchema = z.discriminatedUnion('type', [matrixLayout, nodesLayout, summaryLayout, clustersLayout], {
  error: () => 'type must be one of matrix, nodes, summary, clusters',
});

const scheduleEntry = z.object({ cron, brightness: fraction }).strict();

/** Settings every output has. */
const common = {
  name: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]+$/, 'must be letters, digits, _ . or -')
    .optional(),
  layout: layoutSchema.optional(),
  brightness: fraction.default(0.5),
  schedule: z.array(scheduleEntry).default([]),
  palette: paletteSchema.optional(),
  transitionMs: z.int().min(0).optional(),
  fps: z.int().min(1).max(120).optional(),
  onExit: z.enum(['blank', 'keep']).optional(),
};

const size = z.int().min(1).max(1024);

/**
 * How a WS2812 output reaches its LEDs (SPEC §7): rpi-ws281x-native (Pi 1–4), the Pi 5
 * kernel's ws2812-pio driver through `device`, or `auto` (pio on a Pi 5, else rpi-ws281x).
 */
const ws2812Backend = {
  backend: z.enum(['auto', 'rpi-ws281x', 'pio']).default('auto'),
  /** The ws2812-pio character device (pio backend). */
  device: z
    .string()
    .regex(/^\/\S+$/, 'must be an absolute device path such as /dev/leds0')
    .default('/dev/leds0'),
};

const outputSchema = z.discriminatedUnion(
  'type',
  [
    z
      .object({
        ...common,
        type: z.literal('unicornhat'),
        rotation: z.literal([0, 90, 180, 270], { error: () => 'must be 0, 90, 180 or 270' }).default(0),
        gpio: z.int().default(18),
        dma: z.int().min(0).max(14).default(10),
        ...ws2812Backend,
      })
      .strict(),
    z
      .object({
        ...common,
        type: z.literal('unicornphat'),
        rotation: z.literal([0, 180], { error: () => 'must be 0 or 180' }).default(0),
        gpio: z.int().default(18),
        dma: z.int().min(0).max(14).default(10),
        ...ws2812Backend,
      })
      .strict(),
    z
      .object({
        ...common,
        type: z.literal('ws281x'),
        gpio: z.int().default(18),
        dma: z.int().min(0).max(14).default(10),
        ...ws2812Backend,
        stripType: z.enum(['ws2812', 'sk6812', 'sk6812w', 'rgb', 'rbg', 'grb', 'gbr', 'brg', 'bgr']).default('ws2812'),
        count: size.optional(),
        width: size.optional(),
        height: size.optional(),
        serpentine: z.boolean().default(false),
        /** Upper limit for brightness (0..1), to stay within the power supply. */
        maxBrightness: fraction.default(1),
      })
      .strict(),
    z
      .object({
        ...common,
        type: z.literal('blinkstick'),
        /** Serial number (`BS012345-3.0`) of the stick to drive; default the first one found. */
        serial: z.string().min(1).optional(),
        /** LEDs to drive; default from the variant (Flex: 32, Pro: 64 on the channel). */
        leds: z.int().min(1).max(64).optional(),
        channel: z.int().min(0).max(2).default(0),
        /**
         * The model, for its LED count before the stick is opened (`podglow frame`, start-up
         * without the stick); `auto` reads it from the serial and the stick itself.
         */
        variant: z.enum(['auto', 'blinkstick', 'nano', 'square', 'strip', 'flex', 'pro']).default('auto'),
        /** WS2812 gamma correction; default on, except on the original BlinkStick's plain RGB LED. */
        gamma: z.boolean().optional(),
      })
      .strict(),
    z
      .object({
        ...common,
        type: z.literal('wled'),
        /** Host name or address of the WLED device. */
        host: z
          .string()
          .regex(/^[^\s/]+$/, 'must be a host name or IP address')
          .refine((h) => !/^[^:]+:\d+$/.test(h), 'must be the host alone: put the port in port:'),
        /** Its DDP port. */
        port: z.int().min(1).max(65535).default(4048),
        /** Size; without count or width/height it is read from the device's /json/info at start. */
        count: z.int().min(1).max(8192).optional(),
        width: size.optional(),
        height: size.optional(),
        serpentine: z.boolean().default(false),
        /** WS2812 gamma in podglow; WLED leaves realtime data uncorrected by default (docs/devices/wled.md). */
        gamma: z.boolean().default(true),
      })
      .strict(),
    z
      .object({
        ...common,
        type: z.literal('blinkt'),
        /** The board mounted the other way round: the LED order is reversed. */
        reverse: z.boolean().default(false),
        /** Gamma correction of the colours (the APA102's PWM is linear in its byte, like a WS2812's). */
        gamma: z.boolean().default(true),
      })
      .strict(),
    z.object({ ...common, type: z.literal('terminal'), width: size.optional(), height: size.optional() }).strict(),
    z.object({ ...common, type: z.literal('web'), width: size.optional(), height: size.optional() }).strict(),
  ],
  { error: () => 'type must be one of unicornhat, unicornphat, ws281x, wled, blinkt, blinkstick, terminal, web' },
);

// Label matchers and named queries are parsed with Prometheus' own PromQL grammar (./promql.ts).
const matcher = z.string().superRefine((s, ctx) => {
  const problem = matcherProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const httpUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, 'must be an http(s) URL');

/** The fast lane podglow ships (deploy/) and the job kube-state-metrics usually has, in that order. */
export const DEFAULT_LANES = ['kube-state-metrics-fast', 'kube-state-metrics'] as const;

/** `interval: auto`: poll when new data has landed (SPEC §3b), between `follow.minInterval` and `follow.maxInterval`. */
export const AUTO_INTERVAL = 'auto';

const prometheusSchema = z
  .object({
    /** Base URL, with any path prefix (`https://mimir.example/prometheus`). */
    url: httpUrl.optional(),
    timeout: duration.default(10_000),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name'), z.string()).default({}),
    bearerTokenFile: z.string().min(1).optional(),
    basicAuth: z
      .object({
        username: z.string().min(1),
        passwordFile: z.string().min(1).optional(),
        /** Name of an environment variable that holds the password. */
        passwordEnv: z.string().min(1).optional(),
      })
      .strict()
      .refine((b) => (b.passwordFile ? 1 : 0) + (b.passwordEnv ? 1 : 0) === 1, {
        message: 'set exactly one of passwordFile or passwordEnv',
      })
      .optional(),
    tls: z
      .object({
        caFile: z.string().min(1).optional(),
        certFile: z.string().min(1).optional(),
        keyFile: z.string().min(1).optional(),
        serverName: z.string().min(1).optional(),
        insecureSkipVerify: z.boolean().default(false),
      })
      .strict()
      .refine((t) => !!t.certFile === !!t.keyFile, { message: 'certFile and keyFile go together' })
      .default({ insecureSkipVerify: false }),
    /** Extra label matchers added to every kube-state-metrics selector. */
    matchers: z.array(matcher).default([]),
    /** Value of the cluster label to select (added as a matcher on `clusterLabel`). */
    cluster: z.string().min(1).optional(),
    clusterLabel: z
      .string()
      .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a label name')
      .default('cluster'),
    /**
     * Scrape jobs of kube-state-metrics, fastest first: podglow reads the first that has data,
     * one only (SPEC §3b). Not used when `matchers` names a job or with `recordingRule`.
     */
    lanes: z.array(z.string().min(1, 'must not be empty')).default([...DEFAULT_LANES]),
    /**
     * Name of a recording rule that precomputes the pod counts per node and state (for
     * clusters with 100k+ pods); see `podglow check --rules`.
     */
    recordingRule: z
      .string()
      .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must be a Prometheus metric name such as podglow:pods:count')
      .optional(),
    /**
     * Decoded (after gzip) bytes all the answers of one poll may hold together (default
     * 16 MiB; the largest real answer, 5,000 nodes, is 2.4 MB). Over it the poll fails with
     * a named error instead of growing memory.
     */
    maxResponseBytes: z
      .number()
      .int()
      .min(64 * 1024, 'must be at least 65536 (64 KiB)')
      .max(1024 * 1024 * 1024)
      .optional(),
  })
  .strict()
  .refine((p) => !(p.bearerTokenFile && p.basicAuth), { message: 'use bearerTokenFile or basicAuth, not both' });

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a label name');
const labelValues = z.array(z.string().min(1, 'must not be empty')).min(1, 'list at least one label value');

/** Firing alerts from ALERTS (SPEC §4b). */
const alertsSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Extra label matchers on ALERTS (e.g. cluster="prod"). */
    matchers: z.array(matcher).default([]),
    /** Alert names never counted (always-firing heartbeats). */
    exclude: z.array(z.string().min(1, 'must not be empty')).default(['Watchdog', 'InfoInhibitor']),
    severityLabel: labelName.default('severity'),
    /** Values of severityLabel counted as each severity. */
    severities: z
      .object({
        critical: labelValues.default(['critical']),
        warning: labelValues.default(['warning']),
        info: labelValues.default(['info']),
      })
      .strict()
      .prefault({}),
    /** How an alert with no or another severity value counts; `ignore` drops it. */
    otherSeverity: z.enum(['critical', 'warning', 'info', 'ignore']).default('warning'),
    /** Labels naming the alert's node, tried in order; a `:port` suffix is removed; no known node = cluster-wide. */
    nodeLabels: z.array(labelName).min(1).default(['node', 'instance']),
  })
  .strict()
  .superRefine((a, ctx) => {
    const seen = new Map<string, string>();
    for (const sev of ['critical', 'warning', 'info'] as const) {
      a.severities[sev].forEach((v, i) => {
        const other = seen.get(v);
        if (other)
          ctx.addIssue({ code: 'custom', path: ['severities', sev, i], message: `"${v}" is already listed under ${other}` });
        seen.set(v, sev);
      });
    }
  });

/** True node conditions other than Ready (SPEC §4b). */
const conditionsSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Condition names (regexes, whole name) to show; empty = every condition except Ready. */
    include: z.array(regex).default([]),
  })
  .strict();

/** One cluster of `clusters:`: its label value, or the value with a display name. */
const clusterEntry = z.union(
  [
    z.string().min(1, 'must not be empty'),
    z
      .object({ name: z.string().min(1, 'must not be empty'), displayName: z.string().min(1, 'must not be empty').optional() })
      .strict(),
  ],
  { error: () => 'must be a cluster label value, or {name, displayName}' },
);

/**
 * Several clusters on one light (SPEC §3c): `auto` (every value of prometheus.clusterLabel on
 * kube_node_info, natural order) or a list of label values in display order.
 */
const clustersSchema = z
  .union([z.literal('auto'), z.array(clusterEntry).min(1, 'list at least one cluster')], {
    error: () => 'must be auto or a list of cluster label values',
  })
  .transform((c) => (c === 'auto' ? ('auto' as const) : c.map((e) => (typeof e === 'string' ? { name: e } : e))))
  .superRefine((c, ctx) => {
    if (c === 'auto') return;
    const seen = new Set<string>();
    c.forEach((e, i) => {
      if (seen.has(e.name)) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate cluster "${e.name}"` });
      seen.add(e.name);
    });
  });

/** Most named queries a config may hold (SPEC §4b). */
export const MAX_QUERIES = 16;

const threshold = z
  .object({
    /** Lower bound (inclusive); omit on the first entry for "everything below the next". */
    value: z.number().optional(),
    color: hexColor,
  })
  .strict();

/** One named instant query: PromQL returning one number, coloured by thresholds. */
const querySchema = z
  .object({
    expr: z
      .string()
      .trim()
      .min(1, 'must be a PromQL expression')
      .superRefine((s, ctx) => {
        const problem = promqlProblem(s);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    /** The number used when the query returns no series; without it, no series is an error. */
    ifEmpty: z.number().optional(),
    /** Ascending steps: the number takes the colour of the last step whose value it reaches. */
    thresholds: z.array(threshold).default([]),
  })
  .strict()
  .superRefine((q, ctx) => {
    q.thresholds.forEach((t, i) => {
      if (t.value === undefined && i > 0)
        ctx.addIssue({ code: 'custom', path: ['thresholds', i, 'value'], message: 'required (only the first step may omit it)' });
      const prev = q.thresholds[i - 1]?.value;
      if (t.value !== undefined && prev !== undefined && t.value <= prev) {
        ctx.addIssue({
          code: 'custom',
          path: ['thresholds', i, 'value'],
          message: `must be greater than the previous step (${prev})`,
        });
      }
    });
  });

const queriesSchema = z
  .record(z.string(), querySchema)
  .default({})
  .superRefine((q, ctx) => {
    const names = Object.keys(q);
    if (names.length > MAX_QUERIES) ctx.addIssue({ code: 'custom', message: `at most ${MAX_QUERIES} queries` });
    // Names appear in summary entries (`query:<name>`) and metric-like contexts: keep them plain.
    for (const n of names) {
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(n))
        ctx.addIssue({
          code: 'custom',
          path: [n],
          message: 'query names must be letters, digits or _ (not starting with a digit)',
        });
    }
  });

/** The whole configuration file (SPEC §10). */
export const configSchema = z
  .object({
    source: z.enum(['prometheus', 'demo']).default('prometheus'),
    prometheus: prometheusSchema.default({
      timeout: 10_000,
      headers: {},
      tls: { insecureSkipVerify: false },
      matchers: [],
      clusterLabel: 'cluster',
      lanes: [...DEFAULT_LANES],
    }),
    /** `auto` (poll when new data lands, SPEC §3b), a fixed interval (`10s`) or a cron expression (`*\/15 * * * * *`). */
    interval: z
      .string()
      .refine(
        (s) => s === AUTO_INTERVAL || DURATION_RE.test(s) || nodeCron().validate(s),
        'must be a duration such as 10s or a cron expression, or auto',
      )
      .refine((s) => !DURATION_RE.test(s) || parseDuration(s) >= MIN_INTERVAL_MS, 'must be at least 1s')
      .default(AUTO_INTERVAL),
    /** Bounds of `interval: auto`: full polls no closer than minInterval, and at least every maxInterval. */
    follow: z
      .object({
        minInterval: duration.refine((ms) => ms >= MIN_INTERVAL_MS, 'must be at least 1s').default(1000),
        maxInterval: duration.default(60_000),
      })
      .strict()
      .refine((f) => f.maxInterval > f.minInterval, { path: ['maxInterval'], message: 'must be longer than minInterval' })
      .default({ minInterval: 1000, maxInterval: 60_000 }),
    /**
     * IANA time zone of cron expressions (interval and brightness schedules); default the
     * TZ environment variable, else the system's.
     */
    timezone: z.string().refine(isTimeZone, 'must be an IANA time zone name such as Europe/Berlin or UTC').optional(),
    /** No good poll for this long = stale; default 3 × interval. */
    staleAfter: duration.optional(),
    namespaces: z
      .object({ include: z.array(regex).default([]), exclude: z.array(regex).default([]) })
      .strict()
      .default({ include: [], exclude: [] }),
    crashReasons: z
      .array(z.string().regex(/^[A-Za-z0-9]+$/, 'must be a container waiting reason such as CrashLoopBackOff'))
      .min(1)
      .default([...DEFAULT_CRASH_REASONS]),
    nodes: z
      .object({
        order: z.array(z.string().min(1)).default([]),
        include: z.array(regex).default([]),
        exclude: z.array(regex).default([]),
      })
      .strict()
      .default({ order: [], include: [], exclude: [] }),
    palette: paletteSchema.default({ preset: 'default', colors: {} }),
    // prefault: {} goes through the schema, so each default is written once, on its field.
    alerts: alertsSchema.prefault({}),
    conditions: conditionsSchema.prefault({}),
    queries: queriesSchema,
    clusters: clustersSchema.optional(),
    effects: z
      .object({
        transitionMs: z.int().min(0).max(60_000).default(400),
        fps: z.int().min(1).max(120).default(30),
      })
      .strict()
      .default({ transitionMs: 400, fps: 30 }),
    outputs: z
      .array(outputSchema, {
        error: (iss) => (iss.input === undefined ? 'required: configure at least one output' : 'must be a list of outputs'),
      })
      .min(1, 'configure at least one output')
      .superRefine((outputs, ctx) => {
        const seen = new Set<string>();
        outputs.forEach((o, i) => {
          const name = outputName(outputs, i);
          if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate output name "${name}"` });
          seen.add(name);
          if (o.type === 'ws281x' && !o.count && !(o.width && o.height)) {
            ctx.addIssue({ code: 'custom', path: [i, 'count'], message: 'set count, or width and height' });
          }
          if (o.type === 'ws281x' && o.count && (o.width || o.height)) {
            ctx.addIssue({ code: 'custom', path: [i, 'count'], message: 'set count or width/height, not both' });
          }
          if (o.type === 'wled' && o.count && (o.width || o.height)) {
            ctx.addIssue({ code: 'custom', path: [i, 'count'], message: 'set count or width/height, not both' });
          }
          if (o.type === 'wled' && !o.width !== !o.height) {
            ctx.addIssue({ code: 'custom', path: [i, o.width ? 'height' : 'width'], message: 'set width and height together' });
          }
        });
      }),
    server: z
      .object({
        enabled: z.boolean().default(true),
        address: z.string().min(1).default('0.0.0.0'),
        port: z.int().min(0).max(65535).default(9810),
      })
      .strict()
      .default({ enabled: true, address: '0.0.0.0', port: 9810 }),
    onExit: z.enum(['blank', 'keep']).default('blank'),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        format: z.enum(['auto', 'json', 'pretty']).default('auto'),
      })
      .strict()
      .default({ level: 'info', format: 'auto' }),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.clusters && c.prometheus.cluster) {
      ctx.addIssue({
        code: 'custom',
        path: ['clusters'],
        message: 'set clusters: or prometheus.cluster, not both (prometheus.cluster selects one cluster)',
      });
    }
    c.outputs.forEach((o, i) => {
      if (o.layout?.type === 'clusters' && !c.clusters) {
        ctx.addIssue({
          code: 'custom',
          path: ['outputs', i, 'layout', 'type'],
          message: 'the clusters layout needs clusters: (a list, or auto)',
        });
      }
      const wanted = o.layout?.type === 'summary' ? o.layout.cluster : undefined;
      if (wanted === undefined) return;
      const path = ['outputs', i, 'layout', 'cluster'];
      if (!c.clusters) ctx.addIssue({ code: 'custom', path, message: 'cluster: needs clusters: (a list, or auto)' });
      else if (c.clusters !== 'auto' && !c.clusters.some((k) => k.name === wanted)) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `no cluster "${wanted}" under clusters: (${c.clusters.map((k) => k.name).join(', ')})`,
        });
      }
    });
    // A summary LED naming a query the config does not define could never light.
    c.outputs.forEach((o, i) => {
      if (o.layout?.type !== 'summary') return;
      o.layout.leds.forEach((led, j) => {
        led.states.forEach((s, k) => {
          if (s.startsWith('query:') && !(s.slice(6) in c.queries)) {
            ctx.addIssue({
              code: 'custom',
              path: ['outputs', i, 'layout', 'leds', j, 'states', k],
              message: `no query named "${s.slice(6)}" under queries:`,
            });
          }
        });
      });
    });
  });

/** Configuration as written in the file. */
export type ConfigInput = z.input<typeof configSchema>;
/** Configuration after validation and defaults. */
export type Config = z.output<typeof configSchema>;
/** One configured output. */
export type OutputConfig = Config['outputs'][number];
/** Output types (driver names). */
export type OutputType = OutputConfig['type'];
/** One layout's settings. */
export type LayoutConfig = z.output<typeof layoutSchema>;
export type MatrixLayoutConfig = z.output<typeof matrixLayout>;
export type NodesLayoutConfig = z.output<typeof nodesLayout>;
export type SummaryLayoutConfig = z.output<typeof summaryLayout>;
export type ClustersLayoutConfig = z.output<typeof clustersLayout>;
/** The `clusters:` setting after normalisation: auto, or entries with a name and maybe a display name. */
export type ClustersConfig = NonNullable<Config['clusters']>;
export type PaletteConfig = z.output<typeof paletteSchema>;
export type PrometheusConfig = Config['prometheus'];
/** The `alerts:` settings after defaults. */
export type AlertsConfig = Config['alerts'];
/** One named query of `queries:` after defaults. */
export type QueryConfig = Config['queries'][string];

/**
 * The name of the i-th output, the one resolver every part uses: its `name`, or when none is
 * given its type, suffixed with its index among outputs of that type when the type repeats.
 */
export function outputName(outputs: readonly { type: string; name?: string | undefined }[], i: number): string {
  const given = outputs[i]!.name;
  if (given !== undefined) return given;
  const type = outputs[i]!.type;
  const sameType = outputs.filter((o) => o.type === type).length;
  if (sameType === 1) return type;
  return `${type}-${outputs.slice(0, i).filter((o) => o.type === type).length}`;
}

/** Layout used when an output names none. */
export function defaultLayout(type: OutputType): LayoutConfig {
  return layoutSchema.parse(type === 'blinkstick' ? { type: 'summary' } : { type: 'matrix' });
}

/** Parses a layout section on its own (used by the demo and tests). */
export function parseLayout(input: unknown): LayoutConfig {
  return layoutSchema.parse(input);
}
