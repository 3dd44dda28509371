import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const sourceRoot = dirname(fileURLToPath(import.meta.url));

/** Every `.ts` file under `folder`, recursively. */
function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Module specifiers a file imports: `import … from`, `export … from`, `import type`, side-effect `import '…'` and
 * dynamic `import('…')`. Statements start a line, so TSDoc examples (lines starting with `*`) are not read as imports.
 */
function specifiersOf(source: string): string[] {
  const patterns = [
    /^\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1] as string));
}

/** The relative-import graph of the files under `root`: file → files it imports. */
function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(root)) {
    const targets = specifiersOf(readFileSync(file, 'utf8'))
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => {
        const path = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
        return existsSync(path) ? path : resolve(dirname(file), specifier, 'index.ts');
      });
    graph.set(file, targets);
  }
  return graph;
}

/** Every cycle a depth-first walk meets, each as the chain of files from the first back to itself. */
function findCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

describe('core import graph', () => {
  it('finds a cycle when there is one (the check itself works)', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(findCycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
    expect(findCycles(new Map([['a.ts', ['b.ts']]]))).toEqual([]);
  });

  it('reads multi-line, type-only, re-export and dynamic imports, but not TSDoc examples', () => {
    const source = [
      "import {\n  a,\n  type B,\n} from './a.js';",
      "import type { C } from './c.js';",
      "export { d } from './d.js';",
      "import './e.js';",
      "const f = await import('./f.js');",
      " * import { g } from './g.js';",
    ].join('\n');
    expect(specifiersOf(source).sort()).toEqual(['./a.js', './c.js', './d.js', './e.js', './f.js']);
  });

  it('has no import cycle in packages/core/src (type-only imports included)', () => {
    const graph = importGraph(sourceRoot);
    // The graph is real: the entry reaches the hub, and the hub (some file of it) the in-process limiter.
    expect(graph.get(join(sourceRoot, 'index.ts'))).toContain(join(sourceRoot, 'hub.ts'));
    const limiter = join(sourceRoot, 'runtime', 'rate-limiter.ts');
    expect([...graph.values()].filter((targets) => targets.includes(limiter)).length).toBeGreaterThan(1);
    const cycles = findCycles(graph).map((cycle) => cycle.map((file) => relative(sourceRoot, file)).join(' → '));
    expect(cycles).toEqual([]);
  });

  it('does not import bottleneck: the clustered limiter lives in @omnidealer/redis', () => {
    const importers = sourceFiles(sourceRoot)
      .filter((file) => specifiersOf(readFileSync(file, 'utf8')).includes('bottleneck'))
      .map((file) => relative(sourceRoot, file));
    expect(importers).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(sourceRoot, '..', 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    expect(Object.keys(manifest.dependencies ?? {})).not.toContain('bottleneck');
  });
});
