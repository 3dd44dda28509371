/**
 * A durable SQLite (WAL) store: the outbox, de-dup keys and cascade deadlines survive restarts.
 *
 * @module @omnidealer/store-sqlite
 */
export { migrate, sqliteMigrations } from './sqlite-migrations.js';
export {
  createSqliteStore,
  type SqlitePruneOptions,
  type SqlitePruneResult,
  type SqliteStore,
  type SqliteStoreOptions,
} from './sqlite-store.js';
