import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, docPages, headingAnchors, links, readPage } from './markdown.js';

// Every internal link of README.md and docs/ resolves: a relative path names a file or folder
// of the repository, and a #anchor names a heading of its page as GitHub slugs it.

/** The problem with one link target seen from `page`, or undefined when it resolves. */
function problem(page: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // http:, https:, mailto:
  const [path, anchor] = target.split('#', 2) as [string, string | undefined];
  const file = path === '' ? page : normalize(join(dirname(page), decodeURIComponent(path)));
  if (file.startsWith('..')) return `${target}: leaves the repository`;
  if (!existsSync(join(ROOT, file))) return `${target}: no such file ${file}`;
  if (anchor === undefined) return undefined;
  if (!file.endsWith('.md') || statSync(join(ROOT, file)).isDirectory())
    return `${target}: an anchor into a file that is not a Markdown page`;
  if (!headingAnchors(readPage(file)).has(anchor)) return `${target}: ${file} has no heading #${anchor}`;
  return undefined;
}

describe('links in the README and docs/', () => {
  const pages = docPages();

  it('finds the pages and their links', () => {
    expect(pages).toContain('README.md');
    expect(pages.length).toBeGreaterThanOrEqual(15);
    expect(pages.flatMap((p) => links(readPage(p))).length).toBeGreaterThanOrEqual(30);
  });

  it.each(pages)('%s: every relative link and #anchor resolves', (page) => {
    const bad = links(readPage(page)).flatMap(({ target, line }) => {
      const p = problem(page, target);
      return p ? [`${page}:${line}: ${p}`] : [];
    });
    expect(bad).toEqual([]);
  });

  it('slugs headings as GitHub does (github-slugger): code, punctuation and repeats', () => {
    const md =
      '# `summary` (BlinkStick)\n## Beyond pods: node conditions, firing alerts\n## Start-up and memory\n## Metrics\n## Metrics\n```sh\n# not a heading\n```\n';
    expect([...headingAnchors(md)]).toEqual([
      'summary-blinkstick',
      'beyond-pods-node-conditions-firing-alerts',
      'start-up-and-memory',
      'metrics',
      'metrics-1',
    ]);
  });

  it('catches a broken path and a broken anchor', () => {
    expect(problem('docs/layouts.md', 'nope.md')).toMatch(/no such file docs\/nope.md/);
    expect(problem('docs/layouts.md', 'prometheus.md#no-such-heading')).toMatch(/has no heading/);
    expect(problem('docs/layouts.md', '#severity-order')).toBeUndefined();
  });
});
