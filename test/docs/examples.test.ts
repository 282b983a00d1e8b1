import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ConfigError, parseConfig, parseYamlText } from '../../src/config/load.js';
import { docPages, readPage, splitFences, type Fence } from './markdown.js';

// Every code block in README.md and docs/ names its language. A block marked plain `yaml` is
// a podglow config (a whole file, or one that leaves out prometheus.url, given here as
// --prometheus-url would) and is loaded through the real loader: parseYamlText, then
// parseConfig. Other YAML names what it is (`yaml kubernetes`, `yaml prometheus`, …) and must
// parse; `json` must parse. The convention is in docs/development.md.

const PROMETHEUS_URL = 'http://prometheus.example:9090';

const blocks = docPages().flatMap((page) => splitFences(readPage(page)).fences.map((f) => ({ page, ...f })));
const where = (b: Fence & { page: string }) => `${b.page}:${b.line}`;

/** Loads a podglow example as `podglow run --config example.yaml` would, without the environment. */
function loadExample(b: Fence & { page: string }) {
  const source = where(b);
  const raw = parseYamlText(b.text, source) as Record<string, unknown> | null;
  const prom = raw?.prometheus as Record<string, unknown> | undefined;
  const needsUrl = raw?.source !== 'demo' && prom?.url === undefined;
  return parseConfig(raw, { env: {}, source, overrides: needsUrl ? { prometheusUrl: PROMETHEUS_URL } : {} });
}

describe('code blocks in the README and docs/', () => {
  it('finds the examples (README.md and docs/ are read)', () => {
    expect(blocks.filter((b) => b.info === 'yaml').length).toBeGreaterThanOrEqual(10);
    expect(new Set(blocks.map((b) => b.page))).toContain('README.md');
  });

  it('every block names its language (`text` for output), so no config example goes unchecked', () => {
    expect(blocks.filter((b) => b.info === '').map(where)).toEqual([]);
    expect(blocks.filter((b) => /^yml\b/.test(b.info)).map(where)).toEqual([]);
  });

  it.each(blocks.filter((b) => b.info === 'yaml').map((b) => [where(b), b] as const))(
    '%s: a podglow config the loader accepts',
    (_, b) => {
      try {
        loadExample(b);
      } catch (e) {
        if (e instanceof ConfigError) expect.fail(e.message);
        throw e;
      }
    },
  );

  it.each(blocks.filter((b) => /^yaml\s+\S/.test(b.info)).map((b) => [where(b), b] as const))('%s: parses as YAML', (_, b) => {
    const docs = parseAllDocuments(b.text);
    const errors = (Array.isArray(docs) ? docs : [docs]).flatMap((d) => d.errors.map((e) => e.message));
    expect(errors).toEqual([]);
  });

  it.each(blocks.filter((b) => b.info === 'json').map((b) => [where(b), b] as const))('%s: parses as JSON', (_, b) => {
    expect(() => JSON.parse(b.text)).not.toThrow();
  });

  it('the loader is the strict one: a fragment at the wrong level is refused, not ignored', () => {
    const wrong = { page: 'test', line: 1, info: 'yaml', text: 'layout:\n  type: matrix\n' };
    expect(() => loadExample(wrong)).toThrow(ConfigError);
  });
});
