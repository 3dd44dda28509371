/**
 * `pnpm demo` entry. Workspace packages export their TypeScript source under the `omnidealer-source` condition, so a
 * fresh clone runs without a build: this hook adds the condition, then the demo itself is loaded.
 */
import { register } from 'node:module';

register(
  'data:text/javascript,export async function resolve(specifier, context, next) { return next(specifier, { ...context, conditions: [...context.conditions, "omnidealer-source"] }); }',
);

const { main } = await import('./src/cli.js');
process.exitCode = await main(process.argv.slice(2));
