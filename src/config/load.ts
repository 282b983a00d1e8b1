import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { AUTO_INTERVAL, configSchema, isTimeZone, type Config } from './schema.js';
import { DURATION_RE, formatDuration, parseDuration } from './duration.js';
import { intervalMs } from '../loop/scheduler.js';

/** Default config path, relative to the working directory. */
export const DEFAULT_CONFIG_PATH = 'config/podglow.yaml';

/** A configuration that cannot be used; `problems` lists every error with its path. The CLI exits 2. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration (${source}):\n` + problems.map((p) => `  - ${p}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/** Options that come from the command line and win over file and environment. */
export interface ConfigOverrides {
  prometheusUrl?: string;
  source?: 'prometheus' | 'demo';
  port?: number;
}

/** Formats a zod issue path like `outputs[0].layout.type`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(root)';
}

/** Turns zod issues into `path: message` lines. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

type Env = Record<string, string | undefined>;

/** Environment variables that override the file (SPEC §10), applied to the raw document. */
export function applyEnv(doc: Record<string, unknown>, env: Env): string[] {
  const problems: string[] = [];
  const section = (key: string): Record<string, unknown> => {
    const cur = doc[key];
    if (cur && typeof cur === 'object' && !Array.isArray(cur)) return cur as Record<string, unknown>;
    const fresh: Record<string, unknown> = {};
    doc[key] = fresh;
    return fresh;
  };
  if (env.PODGLOW_PROMETHEUS_URL) section('prometheus').url = env.PODGLOW_PROMETHEUS_URL;
  if (env.PODGLOW_PROMETHEUS_BEARER_TOKEN_FILE) section('prometheus').bearerTokenFile = env.PODGLOW_PROMETHEUS_BEARER_TOKEN_FILE;
  if (env.PODGLOW_PROMETHEUS_ORG_ID) {
    const p = section('prometheus');
    p.headers = { ...((p.headers as object) ?? {}), 'X-Scope-OrgID': env.PODGLOW_PROMETHEUS_ORG_ID };
  }
  if (env.PODGLOW_CLUSTER) section('prometheus').cluster = env.PODGLOW_CLUSTER;
  if (env.PODGLOW_INTERVAL) doc.interval = env.PODGLOW_INTERVAL;
  if (env.PODGLOW_NAMESPACES) {
    section('namespaces').include = env.PODGLOW_NAMESPACES.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  if (env.PODGLOW_LOG_LEVEL) section('log').level = env.PODGLOW_LOG_LEVEL;
  if (env.PODGLOW_PORT) {
    const port = Number(env.PODGLOW_PORT);
    if (!Number.isInteger(port)) problems.push(`PODGLOW_PORT: must be a port number, got "${env.PODGLOW_PORT}"`);
    else section('server').port = port;
  }
  if (env.PODGLOW_BRIGHTNESS) {
    const b = Number(env.PODGLOW_BRIGHTNESS);
    if (Number.isNaN(b) || b < 0 || b > 1)
      problems.push(`PODGLOW_BRIGHTNESS: must be a number 0..1, got "${env.PODGLOW_BRIGHTNESS}"`);
    else if (Array.isArray(doc.outputs)) {
      for (const o of doc.outputs) if (o && typeof o === 'object') (o as Record<string, unknown>).brightness = b;
    }
  }
  return problems;
}

/**
 * Validates a raw config document (already read from YAML) with environment and CLI
 * overrides; throws ConfigError listing every problem at once.
 */
export function parseConfig(raw: unknown, opts: { env?: Env; overrides?: ConfigOverrides; source?: string } = {}): Config {
  const where = opts.source ?? 'config';
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(where, ['(root): must be a mapping of settings']);
  const doc = structuredClone(raw) as Record<string, unknown>;
  const env = opts.env ?? process.env;
  const o = opts.overrides ?? {};
  if (doc.outputs === undefined && ((o.source ?? doc.source) === 'demo' || o.prometheusUrl || o.source)) {
    // A config-less one-off (`snapshot --prometheus-url`, `demo`) still needs somewhere to draw;
    // added before the environment so PODGLOW_BRIGHTNESS reaches it too.
    doc.outputs = [{ type: 'terminal' }];
  }
  const problems = applyEnv(doc, env);
  if (o.prometheusUrl) {
    const p = (doc.prometheus ??= {}) as Record<string, unknown>;
    p.url = o.prometheusUrl;
  }
  if (o.source) doc.source = o.source;
  if (o.port !== undefined) ((doc.server ??= {}) as Record<string, unknown>).port = o.port;
  const r = configSchema.safeParse(doc);
  if (!r.success) problems.push(...formatIssues(r.error.issues));
  problems.push(...crossProblems(doc));
  // Checked here rather than in the schema so it is reported together with every other error.
  const prom = doc.prometheus as Record<string, unknown> | undefined;
  if ((doc.source ?? 'prometheus') === 'prometheus' && (prom === undefined || prom === null || prom.url === undefined)) {
    problems.push('prometheus.url: required (or set PODGLOW_PROMETHEUS_URL / --prometheus-url)');
  }
  if (problems.length || !r.success) throw new ConfigError(where, problems);
  r.data.timezone ??= defaultTimeZone(env);
  return r.data;
}

/** No good poll for this long means stale (ms): staleAfter, default 3 × interval. */
export function staleAfterMs(config: Pick<Config, 'staleAfter' | 'interval' | 'timezone'>): number {
  return config.staleAfter ?? 3 * intervalMs(config.interval, config.timezone);
}

/**
 * The least default limit on the data's age (SPEC §3b): three scrapes of kube-prometheus'
 * 30 s, so a fixed 10 s interval reading a 30 s scrape does not flap stale between scrapes.
 */
export const MIN_DEFAULT_DATA_STALE_MS = 90_000;

/**
 * Data older than this (server clock) is stale even when polls succeed, for the whole light
 * and, with clusters:, for each cluster (ms): staleAfter, by default at least MIN_DEFAULT_DATA_STALE_MS.
 */
export function dataStaleAfterMs(
  config: Pick<Config, 'staleAfter' | 'interval' | 'timezone'>,
  pollStaleAfterMs = staleAfterMs(config),
): number {
  return config.staleAfter ?? Math.max(pollStaleAfterMs, MIN_DEFAULT_DATA_STALE_MS);
}

/** The `timezone` default: TZ when it names an IANA zone, else the system's (undefined if even that is unknown). */
export function defaultTimeZone(env: Env): string | undefined {
  const tz = env.TZ?.replace(/^:/, '');
  if (tz && isTimeZone(tz)) return tz;
  return new Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
}

/**
 * Rules between settings, checked on the raw document so they are reported together with
 * every other problem (zod skips object-level checks once a field failed).
 */
function crossProblems(doc: Record<string, unknown>): string[] {
  const interval = typeof doc.interval === 'string' ? doc.interval : AUTO_INTERVAL;
  const staleAfter = doc.staleAfter;
  if (typeof staleAfter !== 'string' || !DURATION_RE.test(staleAfter)) return [];
  // With `auto` the polls follow the scrapes, whose interval only Prometheus knows (docs: keep staleAfter above it).
  if (interval === AUTO_INTERVAL) return [];
  let periodMs: number;
  try {
    periodMs = intervalMs(interval);
  } catch {
    return []; // a bad interval is reported on its own path
  }
  // Equal flaps too: the stale timer would fire just before every next poll ends.
  if (parseDuration(staleAfter) <= periodMs) {
    return [`staleAfter: must be longer than the interval (${formatDuration(periodMs)}); the default is 3 × interval`];
  }
  return [];
}

/** Reads YAML text into a document; a syntax error becomes a ConfigError with line and column. */
export function parseYamlText(text: string, source: string): unknown {
  try {
    return parseYaml(text, { prettyErrors: true });
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const pos = e.linePos?.[0];
      throw new ConfigError(source, [`${pos ? `line ${pos.line}, column ${pos.col}` : '(yaml)'}: ${e.message.split('\n')[0]}`]);
    }
    throw e;
  }
}

/**
 * Loads the config from `path` (or PODGLOW_CONFIG, or config/podglow.yaml). A missing
 * default file is treated as empty so flags and environment alone can configure podglow;
 * a missing explicit file is an error.
 */
export function loadConfig(path?: string, opts: { env?: Env; overrides?: ConfigOverrides } = {}): Config {
  const env = opts.env ?? process.env;
  const explicit = path ?? env.PODGLOW_CONFIG;
  const file = explicit ?? DEFAULT_CONFIG_PATH;
  let raw: unknown = {};
  if (existsSync(file)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(file, [`(file): cannot read: ${(e as Error).message}`]);
    }
    raw = parseYamlText(text, file);
  } else if (explicit) {
    throw new ConfigError(file, ['(file): not found']);
  }
  return parseConfig(raw, { env, overrides: opts.overrides, source: file });
}
