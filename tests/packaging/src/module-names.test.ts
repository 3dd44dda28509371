/**
 * The API docs (typedoc) name each module after its `@module` tag, and that name becomes the page's file name under
 * docs/api/modules/. Every entry point typedoc documents must therefore name exactly the import path users write
 * (`@omnidealer/core`, `@omnidealer/core/test`), with the description as the comment's body, not after the name.
 */
import { access, readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

interface Manifest {
  name: string;
  exports: Record<string, string | Record<string, unknown>>;
}

/** Expands a typedoc entry-point pattern whose only wildcard is one whole `*` path segment. */
async function expand(pattern: string): Promise<string[]> {
  const [before, after] = pattern.split('/*/');
  if (after === undefined) return [pattern];
  const names = await readdir(join(repoRoot, before ?? ''));
  const found: string[] = [];
  for (const name of names) {
    const file = `${before}/${name}/${after}`;
    if (
      await access(join(repoRoot, file)).then(
        () => true,
        () => false,
      )
    )
      found.push(file);
  }
  return found;
}

/** typedoc's entry points (`typedoc.json`) with the import path each one is published under. */
async function entryPoints(): Promise<Array<{ file: string; importPath: string }>> {
  const typedoc = JSON.parse(await readFile(join(repoRoot, 'typedoc.json'), 'utf8')) as { entryPoints: string[] };
  const files = (await Promise.all(typedoc.entryPoints.map(expand))).flat().sort();
  const rows: Array<{ file: string; importPath: string }> = [];
  for (const file of files) {
    const [packageDir = '', inside = ''] = file.split('/src/');
    const manifest = JSON.parse(await readFile(join(repoRoot, packageDir, 'package.json'), 'utf8')) as Manifest;
    const source = `./src/${inside}`;
    const subpath = Object.entries(manifest.exports).find(
      ([, target]) => typeof target === 'object' && target['omnidealer-source'] === source,
    )?.[0];
    rows.push({ file, importPath: subpath ? join(manifest.name, subpath) : `(${source} is not exported)` });
  }
  return rows;
}

describe('typedoc module names', () => {
  it('every documented entry point is named by its import path, the description in the body', async () => {
    const rows = await entryPoints();
    expect(rows.length).toBeGreaterThanOrEqual(10);
    for (const { file, importPath } of rows) {
      const text = await readFile(join(repoRoot, file), 'utf8');
      const comment = /^\/\*\*([\s\S]*?)\*\//.exec(text)?.[1] ?? '';
      expect(/@module[ \t]+([^\s*]+)[ \t]*$/m.exec(comment)?.[1], file).toBe(importPath);
      // A one-line summary before the tag.
      expect(comment.split('@module')[0]?.replace(/[\s*]/g, '').length, `${file}: description`).toBeGreaterThan(10);
    }
  });
});
