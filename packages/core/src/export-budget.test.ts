/**
 * Export budgets of the public entry points (issue #20, "a small public surface"): applications see at most 60 names
 * in `@omnidealer/core`, and each channel package at most 30. Every exported name counts, types included, so the
 * entries are read as source: each `index.ts` lists its exports by name (no `export *`), which this test also holds.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const packagesRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The names an entry file exports, and whether it re-exports a whole module anywhere. */
function exportsOf(file: string): { names: string[]; star: boolean } {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const names: string[] = [];
  let star = false;
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      if (!statement.exportClause || ts.isNamespaceExport(statement.exportClause)) star = true;
      else for (const element of statement.exportClause.elements) names.push(element.name.text);
    } else if (
      ts.canHaveModifiers(statement) &&
      ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
    ) {
      const declared = (statement as { name?: ts.Identifier }).name;
      if (declared) names.push(declared.text);
      if (ts.isVariableStatement(statement))
        for (const declaration of statement.declarationList.declarations)
          if (ts.isIdentifier(declaration.name)) names.push(declaration.name.text);
    }
  }
  return { names, star };
}

const budgets = [
  { entry: 'core/src/index.ts', budget: 60 },
  { entry: 'channel-whatsapp/src/index.ts', budget: 30 },
  { entry: 'channel-avito/src/index.ts', budget: 30 },
  { entry: 'channel-sms/src/index.ts', budget: 30 },
  { entry: 'channel-email/src/index.ts', budget: 30 },
  { entry: 'channel-max/src/index.ts', budget: 30 },
  { entry: 'channel-telegram/src/index.ts', budget: 30 },
  { entry: 'channel-vk/src/index.ts', budget: 30 },
] as const;

describe('export budgets', () => {
  it.each(budgets)('$entry exports at most $budget names, each once, listed by name', ({ entry, budget }) => {
    const { names, star } = exportsOf(resolve(packagesRoot, entry));
    expect(star).toBe(false);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThan(0);
    expect(names.length).toBeLessThanOrEqual(budget);
  });

  it('counts type and value exports alike', () => {
    const { names } = exportsOf(resolve(packagesRoot, 'core/src/index.ts'));
    expect(names).toEqual(expect.arrayContaining(['createOmnidealer', 'Omnidealer', 'Channel', 'ValidationError', 'Store']));
    expect(names).not.toContain('createHttpClient');
    expect(names).not.toContain('createTestChannel');
  });

  it('keeps wire-format schemas out of the channel packages', () => {
    for (const { entry } of budgets.slice(1)) {
      const { names } = exportsOf(resolve(packagesRoot, entry));
      expect(names.filter((name) => name.endsWith('Schema'))).toEqual([]);
    }
  });
});
