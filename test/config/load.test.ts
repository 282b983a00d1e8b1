// Config loading: every error with its path, all at once; environment and CLI overrides;
// YAML syntax errors; missing files.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'podglow-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = { prometheus: { url: 'http://prom:9090' }, outputs: [{ type: 'terminal' }] };

function problems(raw: unknown, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(raw, { env });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

/** [what, config document, expected problem line (path: message)] */
const BAD: [string, Record<string, unknown>, string | RegExp][] = [
  ['non-http URL', { ...base, prometheus: { url: 'ftp://prom' } }, 'prometheus.url: must be an http(s) URL'],
  ['missing URL', { outputs: [{ type: 'terminal' }] }, /^prometheus\.url: required/],
  [
    'bad timeout',
    { ...base, prometheus: { url: 'http://p', timeout: '10 seconds' } },
    /^prometheus\.timeout: must be a duration/,
  ],
  ['bad header name', { ...base, prometheus: { url: 'http://p', headers: { 'X Org': 'a' } } }, /^prometheus\.headers\.X Org: /],
  [
    'bad matcher',
    { ...base, prometheus: { url: 'http://p', matchers: ['job=ksm'] } },
    /^prometheus\.matchers\[0\]: must be a PromQL label matcher/,
  ],
  [
    'token and basic auth',
    { ...base, prometheus: { url: 'http://p', bearerTokenFile: '/t', basicAuth: { username: 'u', passwordEnv: 'P' } } },
    /^prometheus: use bearerTokenFile or basicAuth, not both/,
  ],
  [
    'basic auth with two passwords',
    { ...base, prometheus: { url: 'http://p', basicAuth: { username: 'u', passwordEnv: 'P', passwordFile: '/p' } } },
    /^prometheus\.basicAuth: set exactly one of passwordFile or passwordEnv/,
  ],
  [
    'cert without key',
    { ...base, prometheus: { url: 'http://p', tls: { certFile: '/c' } } },
    /^prometheus\.tls: certFile and keyFile go together/,
  ],
  [
    'bad cluster label',
    { ...base, prometheus: { url: 'http://p', clusterLabel: 'k8s-cluster' } },
    /^prometheus\.clusterLabel: must be a label name/,
  ],
  [
    'unknown prometheus key',
    { ...base, prometheus: { url: 'http://p', insecure: true } },
    /^prometheus: Unrecognized key: "insecure"/,
  ],
  ['bad interval', { ...base, interval: 'often' }, /^interval: must be a duration such as 10s or a cron expression/],
  [
    'bad namespace regex',
    { ...base, namespaces: { include: ['team-('] } },
    /^namespaces\.include\[0\]: must be a valid regular expression/,
  ],
  ['bad node regex', { ...base, nodes: { exclude: ['[pi'] } }, /^nodes\.exclude\[0\]: must be a valid regular expression/],
  ['bad crash reason', { ...base, crashReasons: ['Crash Loop'] }, /^crashReasons\[0\]: must be a container waiting reason/],
  ['empty crash reasons', { ...base, crashReasons: [] }, /^crashReasons: /],
  ['no outputs', { ...base, outputs: [] }, 'outputs: configure at least one output'],
  ['unknown output type', { ...base, outputs: [{ type: 'lcd' }] }, /^outputs\[0\]\.type: type must be one of unicornhat/],
  [
    'brightness above 1',
    { ...base, outputs: [{ type: 'terminal', brightness: 1.5 }] },
    'outputs[0].brightness: must be between 0 and 1',
  ],
  [
    'bad rotation',
    { ...base, outputs: [{ type: 'unicornhat', rotation: 45 }] },
    'outputs[0].rotation: must be 0, 90, 180 or 270',
  ],
  ['ws281x without size', { ...base, outputs: [{ type: 'ws281x' }] }, 'outputs[0].count: set count, or width and height'],
  [
    'duplicate output names',
    {
      ...base,
      outputs: [
        { type: 'web', name: 'a' },
        { type: 'terminal', name: 'a' },
      ],
    },
    'outputs[1].name: duplicate output name "a"',
  ],
  [
    'bad schedule cron',
    { ...base, outputs: [{ type: 'web', schedule: [{ cron: 'at night', brightness: 0.1 }] }] },
    /^outputs\[0\]\.schedule\[0\]\.cron: must be a valid cron expression/,
  ],
  [
    'bad palette colour',
    { ...base, palette: { colors: { running: 'green' } } },
    'palette.colors.running: must be a colour like #00ff00',
  ],
  [
    'bad layout type',
    { ...base, outputs: [{ type: 'web', layout: { type: 'spiral' } }] },
    /^outputs\[0\]\.layout\.type: type must be one of matrix, nodes, summary/,
  ],
  [
    'bad fill order state',
    { ...base, outputs: [{ type: 'web', layout: { type: 'matrix', fillOrder: ['sleeping'] } }] },
    /^outputs\[0\]\.layout\.fillOrder\[0\]: must be one of terminating/,
  ],
  ['bad server port', { ...base, server: { port: 70000 } }, /^server\.port: /],
  ['bad log level', { ...base, log: { level: 'loud' } }, /^log\.level: /],
  ['unknown top-level key', { ...base, colour: 'red' }, /^\(root\): Unrecognized key: "colour"/],
  // Issue 10: values that cannot work are refused at load, for every command.
  ['interval 0s (spins)', { ...base, interval: '0s' }, 'interval: must be at least 1s'],
  ['interval under 1 s', { ...base, interval: '500ms' }, 'interval: must be at least 1s'],
  [
    'staleAfter shorter than interval',
    { ...base, interval: '30s', staleAfter: '10s' },
    'staleAfter: must be longer than the interval (30s); the default is 3 × interval',
  ],
  [
    'staleAfter equal to interval',
    { ...base, interval: '30s', staleAfter: '30s' },
    /^staleAfter: must be longer than the interval \(30s\)/,
  ],
  [
    'staleAfter shorter than a cron interval',
    { ...base, interval: '0 * * * * *', staleAfter: '30s' },
    /^staleAfter: must be longer than the interval \(1m\)/,
  ],
  [
    'namespace regex with a lookahead',
    { ...base, namespaces: { include: ['team-(?!legacy).*'] } },
    'namespaces.include[0]: must be a valid regular expression: RE2 (Prometheus) rejects it: invalid or unsupported Perl syntax: `(?!`',
  ],
  [
    'namespace regex with a lookbehind',
    { ...base, namespaces: { exclude: ['(?<=kube-)system'] } },
    /^namespaces\.exclude\[0\]: must be a valid regular expression: RE2 \(Prometheus\) rejects it: invalid named capture/,
  ],
  [
    'namespace regex with a backreference',
    { ...base, namespaces: { include: ['(a)\\1'] } },
    /^namespaces\.include\[0\]: .*RE2 \(Prometheus\) rejects it: invalid escape sequence: `\\1`/,
  ],
  [
    'node regex with a possessive quantifier',
    { ...base, nodes: { include: ['pi-\\d++'] } },
    /^nodes\.include\[0\]: .*RE2 \(Prometheus\) rejects it: invalid nested repetition operator: `\+\+`/,
  ],
  [
    'node regex with a count over 1000',
    { ...base, nodes: { exclude: ['x{1001}'] } },
    /^nodes\.exclude\[0\]: .*invalid repeat count/,
  ],
  [
    'node regex with an unknown POSIX class',
    { ...base, nodes: { include: ['[[:letters:]]+'] } },
    /^nodes\.include\[0\]: .*RE2 \(Prometheus\) rejects it: invalid character class range/,
  ],
  [
    'unknown time zone',
    { ...base, timezone: 'Europe/Nowhere' },
    'timezone: must be an IANA time zone name such as Europe/Berlin or UTC',
  ],
  [
    'time zone that is an offset',
    { ...base, timezone: '+01:00' },
    'timezone: must be an IANA time zone name such as Europe/Berlin or UTC',
  ],
];

describe('config errors name their path', () => {
  it.each(BAD)('%s', (_what, raw, expected) => {
    const p = problems(raw);
    if (typeof expected === 'string') expect(p).toContain(expected);
    else
      expect(
        p.some((l) => expected.test(l)),
        p.join('\n'),
      ).toBe(true);
  });

  it('accepts RE2 syntax that only Go reads (podglow matches with RE2 too)', () => {
    const raw = {
      ...base,
      namespaces: { include: ['(?i)Team-.*'] },
      nodes: { include: ['[[:alpha:]]+-\\pN+'], exclude: ['\\Qpi.5\\E'] },
    };
    expect(parseConfig(raw, { env: {} }).nodes.include).toEqual(['[[:alpha:]]+-\\pN+']);
  });

  it('covers at least 15 distinct paths', () => {
    expect(BAD.length).toBeGreaterThanOrEqual(15);
  });

  it('reports every problem at once', () => {
    const p = problems({
      prometheus: { url: 'nope', timeout: 'x' },
      interval: 'often',
      outputs: [{ type: 'web', brightness: 2 }],
    });
    expect(p).toEqual(
      expect.arrayContaining([
        'prometheus.url: must be an http(s) URL',
        expect.stringMatching(/^prometheus\.timeout: /),
        expect.stringMatching(/^interval: /),
        'outputs[0].brightness: must be between 0 and 1',
      ]),
    );
    expect(p).toHaveLength(4);
  });

  it('the error message lists each problem on its own line', () => {
    try {
      parseConfig({ prometheus: { url: 'nope' }, outputs: [] }, { env: {}, source: 'my.yaml' });
    } catch (e) {
      expect((e as Error).message).toBe(
        'invalid configuration (my.yaml):\n  - prometheus.url: must be an http(s) URL\n  - outputs: configure at least one output',
      );
      return;
    }
    throw new Error('expected a ConfigError');
  });

  it('a document that is not a mapping', () => {
    expect(problems(['a', 'b'])).toEqual(['(root): must be a mapping of settings']);
  });
});

describe('defaults', () => {
  it('a minimal config gets the documented defaults', () => {
    const c = parseConfig(base, { env: {} });
    expect(c.source).toBe('prometheus');
    expect(c.prometheus.timeout).toBe(10_000);
    expect(c.prometheus.tls.insecureSkipVerify).toBe(false);
    expect(c.prometheus.matchers).toEqual([]);
    expect(c.interval).toBe('auto');
    expect(c.crashReasons).toContain('CrashLoopBackOff');
    expect(c.namespaces).toEqual({ include: [], exclude: [] });
    expect(c.server.port).toBe(9810);
  });
});

describe('environment and command-line overrides', () => {
  it('PODGLOW_* variables override the file', () => {
    const c = parseConfig(
      { ...base, prometheus: { url: 'http://file:9090', headers: { 'X-Extra': '1' } } },
      {
        env: {
          PODGLOW_PROMETHEUS_URL: 'https://env.example/prometheus',
          PODGLOW_PROMETHEUS_ORG_ID: 'tenant-7',
          PODGLOW_PROMETHEUS_BEARER_TOKEN_FILE: '/run/token',
          PODGLOW_CLUSTER: 'prod',
          PODGLOW_INTERVAL: '30s',
          PODGLOW_NAMESPACES: 'team-a, team-b',
          PODGLOW_PORT: '9999',
          PODGLOW_LOG_LEVEL: 'debug',
          PODGLOW_BRIGHTNESS: '0.2',
        },
      },
    );
    expect(c.prometheus.url).toBe('https://env.example/prometheus');
    expect(c.prometheus.headers).toEqual({ 'X-Extra': '1', 'X-Scope-OrgID': 'tenant-7' });
    expect(c.prometheus.bearerTokenFile).toBe('/run/token');
    expect(c.prometheus.cluster).toBe('prod');
    expect(c.interval).toBe('30s');
    expect(c.namespaces.include).toEqual(['team-a', 'team-b']);
    expect(c.server.port).toBe(9999);
    expect(c.log.level).toBe('debug');
    expect(c.outputs[0]!.brightness).toBe(0.2);
  });

  it('PODGLOW_PROMETHEUS_URL alone satisfies the required URL', () => {
    const c = parseConfig({ outputs: [{ type: 'web' }] }, { env: { PODGLOW_PROMETHEUS_URL: 'http://127.0.0.1:9090' } });
    expect(c.prometheus.url).toBe('http://127.0.0.1:9090');
  });

  it('PODGLOW_BRIGHTNESS also reaches outputs that come from the defaults', () => {
    const c = parseConfig({}, { env: { PODGLOW_BRIGHTNESS: '0.3' }, overrides: { prometheusUrl: 'http://flag:9090' } });
    expect(c.outputs).toEqual([expect.objectContaining({ type: 'terminal', brightness: 0.3 })]);
    const demo = parseConfig({ source: 'demo' }, { env: { PODGLOW_BRIGHTNESS: '0.1' } });
    expect(demo.outputs[0]!.brightness).toBe(0.1);
    expect(problems({}, { PODGLOW_BRIGHTNESS: '2' }).filter((p) => p.startsWith('PODGLOW_BRIGHTNESS'))).toEqual([
      'PODGLOW_BRIGHTNESS: must be a number 0..1, got "2"',
    ]);
  });

  it('timezone: as written, else TZ when it is an IANA name, else the system zone', () => {
    expect(parseConfig({ ...base, timezone: 'europe/berlin' }, { env: { TZ: 'UTC' } }).timezone).toBe('europe/berlin');
    expect(parseConfig(base, { env: { TZ: 'America/New_York' } }).timezone).toBe('America/New_York');
    expect(parseConfig(base, { env: { TZ: ':Asia/Tokyo' } }).timezone).toBe('Asia/Tokyo');
    const system = new Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(parseConfig(base, { env: { TZ: 'not/a-zone' } }).timezone).toBe(system);
    expect(parseConfig(base, { env: {} }).timezone).toBe(system);
  });

  it('a staleAfter longer than the interval, and a 1 s interval, are fine', () => {
    const c = parseConfig({ ...base, interval: '1s', staleAfter: '1500ms' }, { env: {} });
    expect(c.staleAfter).toBe(1500);
  });

  it('bad environment values are reported with the variable name', () => {
    expect(problems(base, { PODGLOW_PORT: 'http' })).toContain('PODGLOW_PORT: must be a port number, got "http"');
    expect(problems(base, { PODGLOW_BRIGHTNESS: 'dim' })).toContain('PODGLOW_BRIGHTNESS: must be a number 0..1, got "dim"');
    expect(problems(base, { PODGLOW_PROMETHEUS_URL: 'prom:9090' })).toContain('prometheus.url: must be an http(s) URL');
  });

  it('--prometheus-url wins over the environment, and alone yields a terminal output', () => {
    const c = parseConfig(
      {},
      { env: { PODGLOW_PROMETHEUS_URL: 'http://env:9090' }, overrides: { prometheusUrl: 'http://flag:9090' } },
    );
    expect(c.prometheus.url).toBe('http://flag:9090');
    expect(c.outputs).toEqual([expect.objectContaining({ type: 'terminal' })]);
  });
});

describe('loadConfig from files', () => {
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('loads a YAML file with durations', () => {
    const p = write('ok.yaml', 'prometheus:\n  url: http://prom:9090\n  timeout: 1m30s\noutputs:\n  - type: web\n');
    const c = loadConfig(p, { env: {} });
    expect(c.prometheus.timeout).toBe(90_000);
  });

  it('a YAML syntax error names line and column', () => {
    const p = write('syntax.yaml', 'prometheus:\n  url: http://prom:9090\noutputs:\n  - type: web\n   brightness: [0.5\n');
    try {
      loadConfig(p, { env: {} });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const err = e as ConfigError;
      expect(err.problems).toHaveLength(1);
      expect(err.problems[0]).toMatch(/^line \d+, column \d+: /);
      expect(err.message).toContain(`invalid configuration (${p})`);
      return;
    }
    throw new Error('expected a ConfigError');
  });

  it('an explicit file that does not exist is an error; so is PODGLOW_CONFIG pointing nowhere', () => {
    const missing = join(dir, 'missing.yaml');
    expect(() => loadConfig(missing, { env: {} })).toThrow(
      expect.objectContaining({ problems: ['(file): not found'], source: missing }),
    );
    expect(() => loadConfig(undefined, { env: { PODGLOW_CONFIG: missing } })).toThrow(
      expect.objectContaining({ problems: ['(file): not found'] }),
    );
  });

  it('PODGLOW_CONFIG names the file when --config is absent', () => {
    const p = write('env.yaml', 'source: demo\noutputs: [{ type: terminal }]\n');
    expect(loadConfig(undefined, { env: { PODGLOW_CONFIG: p } }).source).toBe('demo');
  });

  it('an empty file is an empty document: both missing settings are reported at once', () => {
    const p = write('empty.yaml', '');
    expect(() => loadConfig(p, { env: {} })).toThrow(
      expect.objectContaining({
        problems: [
          'outputs: required: configure at least one output',
          'prometheus.url: required (or set PODGLOW_PROMETHEUS_URL / --prometheus-url)',
        ],
      }),
    );
  });

  it('the example config/podglow.yaml is valid', () => {
    const c = loadConfig('config/podglow.yaml', { env: {} });
    expect(c.outputs.length).toBeGreaterThan(0);
    // No job matcher: the lanes choose the job (the fast lane when it is there, else kube-state-metrics).
    expect(c.prometheus.matchers).toEqual([]);
    expect(c.prometheus.lanes).toEqual(['kube-state-metrics-fast', 'kube-state-metrics']);
    expect(c.interval).toBe('auto');
  });
});

/** SPEC §4b keys: alerts, conditions, queries, summary entries, palette keys. [what, document, expected problem] */
const BAD_EXTRAS: [string, Record<string, unknown>, string | RegExp][] = [
  ['alerts.enabled not a boolean', { ...base, alerts: { enabled: 'yes' } }, /^alerts\.enabled: /],
  [
    'bad alerts matcher',
    { ...base, alerts: { matchers: ['cluster=prod'] } },
    /^alerts\.matchers\[0\]: must be a PromQL label matcher/,
  ],
  ['empty excluded alert name', { ...base, alerts: { exclude: [''] } }, 'alerts.exclude[0]: must not be empty'],
  ['bad severity label', { ...base, alerts: { severityLabel: 'sev-level' } }, 'alerts.severityLabel: must be a label name'],
  [
    'empty severity values',
    { ...base, alerts: { severities: { critical: [] } } },
    'alerts.severities.critical: list at least one label value',
  ],
  [
    'severity value under two severities',
    { ...base, alerts: { severities: { critical: ['critical', 'page'], warning: ['page'] } } },
    'alerts.severities.warning[0]: "page" is already listed under critical',
  ],
  [
    'unknown severity key',
    { ...base, alerts: { severities: { fatal: ['fatal'] } } },
    /^alerts\.severities: Unrecognized key: "fatal"/,
  ],
  ['bad otherSeverity', { ...base, alerts: { otherSeverity: 'loud' } }, /^alerts\.otherSeverity: /],
  ['bad node label', { ...base, alerts: { nodeLabels: ['node', 'host name'] } }, 'alerts.nodeLabels[1]: must be a label name'],
  ['no node labels', { ...base, alerts: { nodeLabels: [] } }, /^alerts\.nodeLabels: /],
  ['unknown alerts key', { ...base, alerts: { severity: 'critical' } }, /^alerts: Unrecognized key: "severity"/],
  [
    'bad condition regex',
    { ...base, conditions: { include: ['Disk('] } },
    /^conditions\.include\[0\]: must be a valid regular expression: RE2 \(Prometheus\) rejects it: missing closing \)/,
  ],
  ['unknown conditions key', { ...base, conditions: { exclude: ['Ready'] } }, /^conditions: Unrecognized key: "exclude"/],
  [
    'bad query name',
    { ...base, queries: { 'my-slo': { expr: 'up' } } },
    /^queries\.my-slo: query names must be letters, digits or _/,
  ],
  ['query without expr', { ...base, queries: { slo: { thresholds: [] } } }, /^queries\.slo\.expr: /],
  ['empty query expr', { ...base, queries: { slo: { expr: '  ' } } }, 'queries.slo.expr: must be a PromQL expression'],
  [
    'bad threshold colour',
    { ...base, queries: { slo: { expr: 'up', thresholds: [{ value: 1, color: 'red' }] } } },
    'queries.slo.thresholds[0].color: must be a colour like #00ff00',
  ],
  [
    'thresholds not ascending',
    {
      ...base,
      queries: {
        slo: {
          expr: 'up',
          thresholds: [
            { value: 0.99, color: '#ff0000' },
            { value: 0.9, color: '#00ff00' },
          ],
        },
      },
    },
    'queries.slo.thresholds[1].value: must be greater than the previous step (0.99)',
  ],
  [
    'later threshold without value',
    { ...base, queries: { slo: { expr: 'up', thresholds: [{ color: '#ff0000' }, { color: '#00ff00' }] } } },
    'queries.slo.thresholds[1].value: required (only the first step may omit it)',
  ],
  ['ifEmpty not a number', { ...base, queries: { slo: { expr: 'up', ifEmpty: 'zero' } } }, /^queries\.slo\.ifEmpty: /],
  [
    'more than 16 queries',
    { ...base, queries: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`q${i}`, { expr: 'up' }])) },
    'queries: at most 16 queries',
  ],
  [
    'bad summary entry',
    { ...base, outputs: [{ type: 'blinkstick', layout: { type: 'summary', leds: [{ states: ['running', 'alert:fatal'] }] } }] },
    /^outputs\[0\]\.layout\.leds\[0\]\.states\[1\]: must be a pod state .*alert:critical, alert:warning, alert:info, condition:<Name> or query:<name>$/,
  ],
  [
    'summary entry naming no query',
    { ...base, outputs: [{ type: 'blinkstick', layout: { type: 'summary', leds: [{ states: ['query:slo'] }] } }] },
    'outputs[0].layout.leds[0].states[0]: no query named "slo" under queries:',
  ],
  [
    'unknown palette key',
    { ...base, palette: { colors: { alertFatal: '#ff0000' } } },
    /^palette\.colors: Unrecognized key: "alertFatal"/,
  ],
  [
    'bad alert colour',
    { ...base, palette: { colors: { alertCritical: 'red' } } },
    'palette.colors.alertCritical: must be a colour like #00ff00',
  ],
  [
    'bad blink key',
    { ...base, palette: { blink: ['alertFatal'] } },
    /^palette\.blink\[0\]: must be one of terminating, .*alertCritical/,
  ],
];

describe('config errors of alerts, conditions and queries name their path', () => {
  it.each(BAD_EXTRAS)('%s', (_what, raw, expected) => {
    const p = problems(raw);
    if (typeof expected === 'string') expect(p).toContain(expected);
    else
      expect(
        p.some((l) => expected.test(l)),
        p.join('\n'),
      ).toBe(true);
  });

  it('accepts the worked example: an SLO light on a BlinkStick', () => {
    const c = parseConfig(
      {
        ...base,
        queries: {
          slo: {
            expr: 'sum(rate(x[5m]))',
            thresholds: [{ color: '#ff0000' }, { value: 0.99, color: '#ffaa00' }, { value: 0.999, color: '#00ff00' }],
          },
        },
        outputs: [
          {
            type: 'blinkstick',
            layout: {
              type: 'summary',
              node: '*',
              leds: [
                { states: ['query:slo'] },
                { states: ['alert:critical', 'condition:DiskPressure', 'failed'], otherwise: 'off' },
              ],
            },
          },
        ],
      },
      { env: {} },
    );
    expect(c.alerts).toEqual({
      enabled: true,
      matchers: [],
      exclude: ['Watchdog', 'InfoInhibitor'],
      severityLabel: 'severity',
      severities: { critical: ['critical'], warning: ['warning'], info: ['info'] },
      otherSeverity: 'warning',
      nodeLabels: ['node', 'instance'],
    });
    expect(c.conditions).toEqual({ enabled: true, include: [] });
    expect(Object.keys(c.queries)).toEqual(['slo']);
  });
});
