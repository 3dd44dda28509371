/**
 * A PostgreSQL store: several application servers share conversations, the outbox, webhook de-duplication and
 * cascade deadlines.
 *
 * @module @omnidealer/store-postgres
 */
export { type PostgresMigration, postgresMigrations } from './postgres-migrations.js';
export {
  createPostgresStore,
  type PostgresPruneOptions,
  type PostgresPruneResult,
  type PostgresStore,
  type PostgresStoreConnection,
  type PostgresStoreOptions,
  postgresSchemaVersion,
} from './postgres-store.js';
export { PostgresStoreError, type PostgresStoreErrorReason } from './postgres-store-error.js';
