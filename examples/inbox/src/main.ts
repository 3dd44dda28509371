/**
 * `npx tsx examples/inbox/src/main.ts` — starts the inbox over the sandbox providers and prints its URL.
 * Workspace packages export their TypeScript source under the `omnidealer-source` condition, so a fresh clone runs
 * without a build: this hook adds the condition, then the server is loaded.
 *
 * Environment: `PORT` (default 3000), `INBOX_DB` (SQLite file, default `examples/inbox/inbox.db`), `SEED`.
 */
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

register(
  'data:text/javascript,export async function resolve(specifier, context, next) { return next(specifier, { ...context, conditions: [...context.conditions, "omnidealer-source"] }); }',
);

const { startInbox } = await import('./server.js');
const inbox = await startInbox({
  port: Number(process.env.PORT ?? 3000),
  seed: process.env.SEED ?? 1,
  storePath: process.env.INBOX_DB ?? fileURLToPath(new URL('../inbox.db', import.meta.url)),
  logger: {
    debug: () => undefined,
    info: (_fields, message) => console.log(message),
    warn: (fields, message) => console.warn(message, fields),
    error: (fields, message) => console.error(message, fields),
  },
});

console.log(`omnidealer inbox: ${inbox.url}`);
console.log('Use the "Simulate a customer" panel to write as a WhatsApp or Avito customer. Ctrl+C stops.');
console.log(`Operators: ${inbox.url}/?operator=anna (Север), ?operator=oleg (Юг), ?operator=irina (group supervisor).`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void inbox.close().then(() => process.exit(0));
  });
}
