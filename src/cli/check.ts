import { existsSync } from 'node:fs';
import { ConfigError, DEFAULT_CONFIG_PATH } from '../config/load.js';
import { defaultOutputName, type Config } from '../config/schema.js';
import { formatDuration } from '../config/duration.js';
import { redactUrl } from '../source/client.js';
import { buildQueries } from '../source/promql.js';
import { COMMON_HELP, EXIT_CONFIG, UsageError, configFromFlags, parseCommand } from './common.js';

const HELP = [
  'Usage: podglow check [options]',
  '',
  'Validates the configuration (every problem with its path; exit 2 if any) and prints',
  'the PromQL podglow sends to /api/v1/query on every poll. Sends nothing.',
  '',
  'Options:',
  ...COMMON_HELP,
].join('\n');

/** Regex features Go's RE2 (PromQL) rejects although JavaScript accepts them. */
const NOT_RE2 = /\(\?[=!]|\(\?<[=!]|\\[1-9]|\\k</;

/** Problems the schema cannot see: namespace regexes PromQL will not accept. */
export function re2Problems(config: Config): string[] {
  const out: string[] = [];
  for (const key of ['include', 'exclude'] as const) {
    config.namespaces[key].forEach((re, i) => {
      if (NOT_RE2.test(re)) out.push(`namespaces.${key}[${i}]: PromQL regexes (RE2) have no lookaround or backreferences`);
    });
  }
  return out;
}

/** The report `podglow check` prints for a valid config. */
export function describeConfig(config: Config, file: string): string {
  const lines: string[] = [`config: ${file} is valid`];
  const outputs = config.outputs.map((o, i) => `${o.name ?? defaultOutputName(config.outputs, i)} (${o.type})`);
  if (config.source === 'demo') {
    lines.push('source: demo (built-in simulated cluster; no queries are sent)');
  } else {
    const p = config.prometheus;
    lines.push(`source: prometheus at ${redactUrl(p.url!)} (poll ${config.interval}, timeout ${formatDuration(p.timeout)})`);
    const auth = p.bearerTokenFile ? 'bearer token from file' : p.basicAuth ? `basic auth as ${p.basicAuth.username}` : 'none';
    const tls = p.tls.insecureSkipVerify ? 'verification OFF (insecureSkipVerify)' : p.tls.caFile ? 'verified with caFile' : 'verified with system CAs';
    lines.push(`auth: ${auth}; headers: ${Object.keys(p.headers).join(', ') || 'none'}; TLS: ${tls}`);
  }
  lines.push(`outputs: ${outputs.join(', ')}`);
  if (config.source === 'prometheus') {
    lines.push('', 'Instant queries sent concurrently on every poll (POST /api/v1/query):');
    for (const [name, q] of Object.entries(buildQueries(config))) lines.push('', `# ${name}`, q);
  }
  return lines.join('\n');
}

/** `podglow check`: validate the config and print the PromQL. */
export async function main(argv: string[]): Promise<number> {
  try {
    const parsed = parseCommand(argv, {}, HELP);
    if (!parsed) return 0;
    const { values } = parsed;
    const config = configFromFlags(values);
    const explicit = typeof values.config === 'string' ? values.config : process.env.PODGLOW_CONFIG;
    const file = explicit ?? (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : '(no file: defaults, environment and flags)');
    const problems = re2Problems(config);
    if (problems.length) throw new ConfigError(explicit ?? DEFAULT_CONFIG_PATH, problems);
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
