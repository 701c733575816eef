/** The README and docs/ stay true: their relative links lead somewhere and the npm scripts they name exist. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const documents = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const text = (file: string) => readFileSync(join(root, file), 'utf8');

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces to dashes. */
const anchors = (markdown: string) =>
  new Set(
    [...markdown.matchAll(/^#+ (.+)$/gm)].map((m) =>
      m[1]!
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );

describe('README and docs', () => {
  it.each(documents)('%s: every relative link names a file (and heading) that exists', (file) => {
    for (const [, target] of text(file).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [path, anchor] = target!.split('#');
      const resolved = path ? join(dirname(file), path) : file;
      expect(existsSync(join(root, resolved)), `${file} links to ${target}`).toBe(true);
      if (anchor && resolved.endsWith('.md')) expect(anchors(text(resolved)), `${file} links to ${target}`).toContain(anchor);
    }
  });

  it.each(documents)('%s: every `npm run` script it names exists', (file) => {
    const scripts = Object.keys((JSON.parse(text('package.json')) as { scripts: Record<string, string> }).scripts);
    for (const [, script] of text(file).matchAll(/npm run ([a-z][\w:-]*)/g))
      expect(scripts, `${file}: npm run ${script}`).toContain(script);
  });

  it('the README names the unit-test command and the guardrail coordinator, and never "the seed"', () => {
    const readme = text('README.md');
    expect(readme).toContain('npx vitest run --project unit');
    expect(readme).toContain('`workflows/coordinator/` | the **guardrail coordinator**');
    for (const file of documents) expect(text(file), file).not.toMatch(/\bthe seed\b|\bseed's\b/i);
  });
});
