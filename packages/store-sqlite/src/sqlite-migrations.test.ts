import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, sqliteMigrations } from './sqlite-migrations.js';

const version = (database: Database.Database) => database.pragma('user_version', { simple: true });

describe('migrate', () => {
  it('creates the schema on a new file and records the version in user_version', () => {
    const database = new Database(':memory:');
    expect(version(database)).toBe(0);
    expect(migrate(database)).toBe(sqliteMigrations.length);
    expect(version(database)).toBe(sqliteMigrations.length);
    const tables = database
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all();
    expect(tables.map((table) => table.name)).toEqual([
      'contact_addresses',
      'contacts',
      'conversations',
      'idempotency_keys',
      'jobs',
      'messages',
      'records',
      'webhook_keys',
    ]);
    database.close();
  });

  it('runs only the steps a file has not seen, in order, and is a no-op when current', () => {
    const database = new Database(':memory:');
    const steps = ['CREATE TABLE t (a INTEGER)', "INSERT INTO t VALUES (1); ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'x'"];
    migrate(database, steps.slice(0, 1));
    database.exec('INSERT INTO t (a) VALUES (7)');
    expect(migrate(database, steps)).toBe(2);
    expect(database.prepare('SELECT a, b FROM t ORDER BY a').all()).toEqual([
      { a: 1, b: 'x' },
      { a: 7, b: 'x' },
    ]);
    migrate(database, steps);
    expect(database.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 2 });
    database.close();
  });

  it('rolls a failing step back whole and refuses a file from a newer release', () => {
    const database = new Database(':memory:');
    expect(() =>
      migrate(database, ['CREATE TABLE t (a INTEGER)', 'CREATE TABLE u (b INTEGER); INSERT INTO missing VALUES (1)']),
    ).toThrow(/no such table: missing/);
    expect(version(database)).toBe(0);
    expect(database.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name IN ('t', 'u')").get()).toEqual({ n: 0 });
    database.pragma('user_version = 99');
    expect(() => migrate(database)).toThrow(/schema version 99, newer than/);
    database.close();
  });
});
