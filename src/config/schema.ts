import { z } from 'zod';
import { validate as validateCron } from 'node-cron';
import { POD_STATES, DEFAULT_CRASH_REASONS, DEFAULT_FILL_ORDER } from '../states.js';
import { DURATION_RE, parseDuration } from './duration.js';

const hexColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #00ff00');
const state = z.enum(POD_STATES, { error: () => `must be one of ${POD_STATES.join(', ')}` });
const duration = z
  .string()
  .regex(DURATION_RE, 'must be a duration such as 500ms, 10s or 1m')
  .transform(parseDuration);
const regex = z.string().refine((s) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}, 'must be a valid regular expression');
const cron = z.string().refine((s) => validateCron(s), 'must be a valid cron expression (e.g. "0 22 * * *")');
const fraction = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');

/** Colour names a palette can set: every pod state plus the marker colours. */
export const PALETTE_KEYS = [...POD_STATES, 'overflow', 'notReady', 'cordoned', 'status'] as const;
/** One key of a palette. */
export type PaletteKey = (typeof PALETTE_KEYS)[number];

/** Built-in palettes (SPEC §5); `unicorn-classic` and `blinkstick-classic` reproduce the original monitors. */
export const PALETTE_PRESETS = ['default', 'unicorn-classic', 'blinkstick-classic'] as const;

const paletteSchema = z
  .object({
    preset: z.enum(PALETTE_PRESETS).default('default'),
    /** Overrides per state or marker, `#rrggbb`. */
    colors: z.partialRecord(z.enum(PALETTE_KEYS), hexColor).default({}),
    /** States whose LEDs blink; default from the preset (crashing). */
    blink: z.array(state).optional(),
  })
  .strict();

const matrixLayout = z
  .object({
    type: z.literal('matrix'),
    columnsPerNode: z.union([z.literal('auto'), z.int().min(1, 'must be at least 1')]).default('auto'),
    origin: z.enum(['bottom', 'top']).default('bottom'),
    fillOrder: z.array(state).min(1).default([...DEFAULT_FILL_ORDER]),
    pageSeconds: z.number().positive().default(10),
  })
  .strict();

const nodesLayout = z
  .object({
    type: z.literal('nodes'),
    /** States that count when choosing each node's colour (most severe wins). */
    states: z.array(state).min(1).default(POD_STATES.filter((s) => s !== 'succeeded')),
  })
  .strict();

const summaryLed = z
  .object({
    states: z.array(state).min(1),
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
    leds: z
      .array(summaryLed)
      .min(1)
      .default(DEFAULT_SUMMARY_LEDS.map((l) => ({ states: [...l.states], otherwise: l.otherwise }))),
  })
  .strict();

const layoutSchema = z.discriminatedUnion('type', [matrixLayout, nodesLayout, summaryLayout], {
  error: () => 'type must be one of matrix, nodes, summary',
});

const scheduleEntry = z.object({ cron, brightness: fraction }).strict();

/** Settings every output has. */
const common = {
  name: z.string().regex(/^[a-zA-Z0-9_.-]+$/, 'must be letters, digits, _ . or -').optional(),
  layout: layoutSchema.optional(),
  brightness: fraction.default(0.5),
  schedule: z.array(scheduleEntry).default([]),
  palette: paletteSchema.optional(),
  transitionMs: z.int().min(0).optional(),
  fps: z.int().min(1).max(120).optional(),
  onExit: z.enum(['blank', 'keep']).optional(),
};

const size = z.int().min(1).max(1024);

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
      })
      .strict(),
    z
      .object({
        ...common,
        type: z.literal('unicornphat'),
        rotation: z.literal([0, 180], { error: () => 'must be 0 or 180' }).default(0),
        gpio: z.int().default(18),
        dma: z.int().min(0).max(14).default(10),
      })
      .strict(),
    z
      .object({
        ...common,
        type: z.literal('ws281x'),
        gpio: z.int().default(18),
        dma: z.int().min(0).max(14).default(10),
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
      })
      .strict(),
    z.object({ ...common, type: z.literal('terminal'), width: size.optional(), height: size.optional() }).strict(),
    z.object({ ...common, type: z.literal('web'), width: size.optional(), height: size.optional() }).strict(),
  ],
  { error: () => 'type must be one of unicornhat, unicornphat, ws281x, blinkstick, terminal, web' },
);

const matcher = z
  .string()
  .regex(
    /^[a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"$/,
    'must be a PromQL label matcher such as job="kube-state-metrics"',
  );

const httpUrl = z
  .string()
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL');

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
    clusterLabel: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a label name').default('cluster'),
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
    maxResponseBytes: z.number().int().min(64 * 1024, 'must be at least 65536 (64 KiB)').max(1024 * 1024 * 1024).optional(),
  })
  .strict()
  .refine((p) => !(p.bearerTokenFile && p.basicAuth), { message: 'use bearerTokenFile or basicAuth, not both' });

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
    }),
    /** Poll interval (`10s`) or a cron expression (`*\/15 * * * * *`). */
    interval: z
      .string()
      .refine((s) => DURATION_RE.test(s) || validateCron(s), 'must be a duration such as 10s or a cron expression')
      .default('10s'),
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
          const name = o.name ?? defaultOutputName(outputs, i);
          if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate output name "${name}"` });
          seen.add(name);
          if (o.type === 'ws281x' && !o.count && !(o.width && o.height)) {
            ctx.addIssue({ code: 'custom', path: [i, 'count'], message: 'set count, or width and height' });
          }
          if (o.type === 'ws281x' && o.count && (o.width || o.height)) {
            ctx.addIssue({ code: 'custom', path: [i, 'count'], message: 'set count or width/height, not both' });
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
  .strict();

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
export type PaletteConfig = z.output<typeof paletteSchema>;
export type PrometheusConfig = Config['prometheus'];

/** Name of the i-th output when none is given: its type, suffixed when the type repeats. */
export function defaultOutputName(outputs: readonly { type: string; name?: string | undefined }[], i: number): string {
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
