import { existsSync } from 'node:fs';
import { stringify } from 'yaml';
import { ConfigError, DEFAULT_CONFIG_PATH } from '../config/load.js';
import { AUTO_INTERVAL, outputName, type Config, type QueryConfig } from '../config/schema.js';
import { formatDuration } from '../config/duration.js';
import { redactUrl } from '../source/redact.js';
import { USER_QUERY_PREFIX, isUserQuery } from '../source/extrasQueries.js';
import { buildQueries, buildRecordingRules } from '../source/promql.js';
import { freshnessQuery, lanesInUse } from '../source/freshness.js';
import { COMMON_HELP, EXIT_CONFIG, UsageError, configFromFlags, parseCommand } from './common.js';

const HELP = [
  'Usage: podglow check [options]',
  '',
  'Validates the configuration (every problem with its path; exit 2 if any) and prints',
  'the PromQL podglow sends to /api/v1/query on every poll. Sends nothing.',
  '',
  'Options:',
  '      --rules              print instead the Prometheus rule file (YAML) that records',
  '                           prometheus.recordingRule for this config (exit 2 if unset);',
  '                           regenerate it when matchers, cluster, namespaces or',
  '                           crashReasons change',
  ...COMMON_HELP,
].join('\n');

/** VictoriaMetrics' default `-search.maxQueryLen`: it refuses longer queries. */
export const MAX_QUERY_BYTES = 16 * 1024;

/** Warnings for queries longer than MAX_QUERY_BYTES (in UTF-8 bytes, as the server counts them). */
export function queryLengthWarnings(queries: Record<string, string | undefined>): string[] {
  return Object.entries(queries)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([name, q]) => [name, Buffer.byteLength(q)] as const)
    .filter(([, n]) => n > MAX_QUERY_BYTES)
    .map(
      ([name, n]) =>
        `warning: the ${name} query is ${n} bytes, over 16 KiB: VictoriaMetrics refuses it by default (-search.maxQueryLen=16384); shorten namespaces/matchers or raise that flag`,
    );
}

/** The report `podglow check` prints for a valid config. */
export function describeConfig(config: Config, file: string): string {
  const lines: string[] = [`config: ${file} is valid`];
  const outputs = config.outputs.map((o, i) => `${outputName(config.outputs, i)} (${o.type})`);
  if (config.source === 'demo') {
    lines.push('source: demo (built-in simulated cluster; no queries are sent)');
  } else {
    const p = config.prometheus;
    const poll =
      config.interval === AUTO_INTERVAL
        ? `poll when new data lands, every ${formatDuration(config.follow.minInterval)} to ${formatDuration(config.follow.maxInterval)}`
        : `poll ${config.interval}`;
    lines.push(`source: prometheus at ${redactUrl(p.url!)} (${poll}, timeout ${formatDuration(p.timeout)})`);
    const lanes = lanesInUse(config);
    if (lanes.length)
      lines.push(`lanes: reads the first of job ${lanes.map((l) => `"${l}"`).join(', ')} that has data (else every job)`);
    const auth = p.bearerTokenFile ? 'bearer token from file' : p.basicAuth ? `basic auth as ${p.basicAuth.username}` : 'none';
    const tls = p.tls.insecureSkipVerify
      ? 'verification OFF (insecureSkipVerify)'
      : p.tls.caFile
        ? 'verified with caFile'
        : 'verified with system CAs';
    lines.push(`auth: ${auth}; headers: ${Object.keys(p.headers).join(', ') || 'none'}; TLS: ${tls}`);
  }
  lines.push(`outputs: ${outputs.join(', ')}`);
  if (config.source === 'prometheus') {
    if (config.interval === AUTO_INTERVAL)
      lines.push('', 'Probe sent between polls to learn when new data lands (POST /api/v1/query):', freshnessQuery(config));
    lines.push('', 'Instant queries sent concurrently on every poll (POST /api/v1/query):');
    const rule = config.prometheus.recordingRule;
    const lanes = lanesInUse(config);
    if (lanes.length) lines.push(`(with a lane chosen, every kube-state-metrics selector also gets job="<lane>")`);
    const queries = buildQueries(config, { byLane: lanes.length > 0 });
    for (const [name, q] of Object.entries(queries)) {
      if (q === undefined) continue;
      const note =
        name === 'pods' && rule
          ? ` (reads the recording rule ${rule}; podglow check --rules prints the rule)`
          : isUserQuery(name)
            ? ` (${describeUserQuery(config.queries[name.slice(USER_QUERY_PREFIX.length)]!)})`
            : '';
      lines.push('', `# ${name}${note}`, q);
    }
    const long = queryLengthWarnings(queries);
    if (long.length) lines.push('', ...long);
  }
  return lines.join('\n');
}

/** One line about a named query: what it must return and its colours. */
export function describeUserQuery(q: QueryConfig): string {
  const steps = q.thresholds.map((t) => (t.value === undefined ? t.color : `≥ ${t.value} ${t.color}`));
  const empty = q.ifEmpty === undefined ? 'no series is an error' : `no series = ${q.ifEmpty}`;
  return `one number; ${empty}; colours: ${steps.join(', ') || 'none (thresholds not set)'}`;
}

/** The rule file `podglow check --rules` prints: a header saying where it came from, then the groups. */
export function rulesYaml(config: Config, file: string): string {
  const header = [
    `# Generated by \`podglow check --rules\` from ${file}.`,
    `# Records ${config.prometheus.recordingRule}: pod counts per node and state for prometheus.recordingRule.`,
    '# Regenerate it when prometheus.matchers, cluster, namespaces or crashReasons change.',
  ];
  return `${header.join('\n')}\n${stringify(buildRecordingRules(config), { lineWidth: 0 })}`;
}

/** `podglow check`: validate the config and print the PromQL (or, with --rules, the rule file). */
export async function main(argv: string[]): Promise<number> {
  try {
    const parsed = parseCommand(argv, { rules: { type: 'boolean' } }, HELP);
    if (!parsed) return 0;
    const { values } = parsed;
    const config = configFromFlags(values);
    const explicit = typeof values.config === 'string' ? values.config : process.env.PODGLOW_CONFIG;
    const file =
      explicit ?? (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : '(no file: defaults, environment and flags)');
    if (values.rules) {
      if (!config.prometheus.recordingRule) {
        throw new UsageError(
          '--rules: no recording rule configured: set prometheus.recordingRule (e.g. podglow:pods:count) in the config',
        );
      }
      console.log(rulesYaml(config, file).trimEnd());
      return 0;
    }
    console.log(describeConfig(config, file));
    return 0;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof UsageError) {
      console.error(`podglow: ${e.message}`);
      return EXIT_CONFIG;
    }
    throw e;
  }
}
