// PromQL in the config parsed with @prometheus-io/lezer-promql (the Prometheus project's grammar):
// named queries and label matchers, their errors with a position, and podglow's own PromQL.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { matcherProblem, promqlProblem } from '../../src/config/promql.js';
import { buildQueries, buildRecordingRules } from '../../src/source/promql.js';

const env = {};
const base = { prometheus: { url: 'http://prom:9090' }, outputs: [{ type: 'terminal' }] };

describe('promqlProblem (named queries)', () => {
  it('finds an unbalanced parenthesis at the end of the expression', () => {
    expect(promqlProblem('sum(rate(http_requests_total[5m])')).toBe(
      'PromQL syntax error at line 1, column 34 of the expression: unexpected end of expression',
    );
  });

  it('gives line and column inside a multi-line expression', () => {
    expect(promqlProblem('sum by (job) (\n  rate(http_requests_total[5m]) foo\n)')).toBe(
      'PromQL syntax error at line 2, column 33 of the expression: unexpected "foo"',
    );
    expect(promqlProblem('rate(x[5x])')).toBe('PromQL syntax error at line 1, column 9 of the expression: unexpected "x"');
    expect(promqlProblem('up{job="a"')).toMatch(/^PromQL syntax error at line 1, column 11 of the expression: unexpected end/);
  });

  it('accepts real-world queries', () => {
    for (const q of [
      'sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))',
      'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))',
      '1 - avg(rate(node_cpu_seconds_total{mode="idle"}[5m]))',
      'count(kube_pod_status_phase{phase="Failed"} == 1) or vector(0)',
      'max_over_time(up[1h:5m]) offset 1d',
      'label_replace(up, "host", "$1", "instance", "(.*):.*")',
      'sum without (instance) (up @ end())',
    ]) {
      expect(promqlProblem(q), q).toBeNull();
    }
  });

  it('accepts every rule expression of deploy/monitoring/podglow-alerts.yml', () => {
    const doc = parseYaml(readFileSync('deploy/monitoring/podglow-alerts.yml', 'utf8')) as {
      groups: { rules: { expr: string }[] }[];
    };
    const exprs = doc.groups.flatMap((g) => g.rules.map((r) => r.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(4);
    for (const e of exprs) expect(promqlProblem(e), e).toBeNull();
  });

  it('accepts every panel query of deploy/monitoring/podglow-dashboard.json, $__rate_interval given as Grafana fills it', () => {
    const exprs: string[] = [];
    const walk = (o: unknown): void => {
      if (Array.isArray(o)) o.forEach(walk);
      else if (o && typeof o === 'object') {
        const e = (o as { expr?: unknown }).expr;
        if (typeof e === 'string') exprs.push(e);
        Object.values(o).forEach(walk);
      }
    };
    walk(JSON.parse(readFileSync('deploy/monitoring/podglow-dashboard.json', 'utf8')));
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    for (const e of exprs) expect(promqlProblem(e.replaceAll('$__rate_interval', '1m')), e).toBeNull();
  });
});

describe('podglow parses its own PromQL', () => {
  const configs: [string, Record<string, unknown>][] = [
    ['defaults', base],
    [
      'matchers, cluster, namespaces, crash reasons',
      {
        ...base,
        prometheus: { url: 'http://p', matchers: ['job="kube-state-metrics"', "env!='dev'"], cluster: 'prod "eu"' },
        namespaces: { include: ['team-.*', '(?i)apps'], exclude: ['kube-system'] },
        crashReasons: ['CrashLoopBackOff', 'ImagePullBackOff'],
      },
    ],
    [
      'extras: conditions, alerts, named queries',
      {
        ...base,
        conditions: { include: ['Memory.*', 'DiskPressure'] },
        alerts: { exclude: ['Watchdog', 'Info.Inhibitor'], matchers: ['cluster="prod"'] },
        queries: { slo: { expr: 'sum(rate(x[5m]))' } },
      },
    ],
    [
      'recording rule',
      {
        ...base,
        prometheus: { url: 'http://p', recordingRule: 'podglow:pods:count', matchers: ['job=~"ksm|kube-state-metrics"'] },
      },
    ],
  ];
  it.each(configs)('%s', (_name, raw) => {
    const config = parseConfig(raw, { env });
    const queries = Object.entries(buildQueries(config)).filter((e): e is [string, string] => e[1] !== undefined);
    expect(queries.length).toBeGreaterThanOrEqual(4);
    for (const [name, q] of queries) expect(promqlProblem(q), `${name}: ${q}`).toBeNull();
    if (config.prometheus.recordingRule) {
      for (const r of buildRecordingRules(config).groups[0]!.rules) expect(promqlProblem(r.expr), r.expr).toBeNull();
    }
  });
});

describe('matcherProblem (prometheus.matchers, alerts.matchers)', () => {
  it('accepts one matcher in any PromQL quoting', () => {
    for (const m of [
      'job="kube-state-metrics"',
      "job='ksm'",
      'job=`ksm`',
      'namespace!~"kube-.*"',
      'cluster != "dev"',
      '"service.name"="api"',
      'le="+Inf"',
      'by="x"',
      'x=~"(?i)prod"',
    ]) {
      expect(matcherProblem(m), m).toBeNull();
    }
  });

  it('refuses a typo with its position inside the matcher', () => {
    expect(matcherProblem('job=ksm')).toBe(
      'must be a PromQL label matcher such as job="kube-state-metrics": PromQL syntax error at line 1, column 5 of the matcher: unexpected "ksm"',
    );
    expect(matcherProblem('job="ksm')).toMatch(
      /^must be a PromQL label matcher .*: PromQL syntax error at line 1, column \d+ of the matcher/,
    );
    expect(matcherProblem('job=')).toMatch(/column 5 of the matcher: unexpected end of expression$/);
  });

  it('refuses more than one matcher, or anything that escapes the selector', () => {
    expect(matcherProblem('job="a", ns="b"')).toBe(
      'must be a PromQL label matcher such as job="kube-state-metrics", one per list entry',
    );
    expect(matcherProblem('a="b"} or vector(1) or {c="d"')).toMatch(/one per list entry$/);
  });

  it('refuses an escape PromQL does not know and a regex RE2 rejects', () => {
    expect(matcherProblem('job="\\q"')).toBe(
      'must be a PromQL label matcher such as job="kube-state-metrics": unknown escape sequence \\q',
    );
    expect(matcherProblem('namespace=~"team-(?!legacy).*"')).toBe(
      'the regex of this matcher must be a valid regular expression: RE2 (Prometheus) rejects it: invalid or unsupported Perl syntax: `(?!`',
    );
    expect(matcherProblem('namespace=~"a\\\\.b"')).toBeNull();
  });
});

describe('at load: the config path and the position', () => {
  function problems(raw: Record<string, unknown>): string[] {
    try {
      parseConfig(raw, { env });
    } catch (e) {
      return (e as { problems: string[] }).problems;
    }
    throw new Error('expected a ConfigError');
  }

  it('names the query and the position of the syntax error', () => {
    expect(problems({ ...base, queries: { errors: { expr: 'sum(rate(http_requests_total[5m])' } } })).toEqual([
      'queries.errors.expr: PromQL syntax error at line 1, column 34 of the expression: unexpected end of expression',
    ]);
  });

  it('names the matcher', () => {
    expect(problems({ ...base, alerts: { matchers: ['cluster=~"prod'] } })[0]).toMatch(
      /^alerts\.matchers\[0\]: must be a PromQL label matcher .*line 1, column \d+ of the matcher/,
    );
    expect(problems({ ...base, prometheus: { url: 'http://p', matchers: ['job="a"', 'ns=~"(a"'] } })).toEqual([
      'prometheus.matchers[1]: the regex of this matcher must be a valid regular expression: RE2 (Prometheus) rejects it: missing closing ): `(a`',
    ]);
  });
});
