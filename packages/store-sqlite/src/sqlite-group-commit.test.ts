import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createGroupCommit } from './sqlite-group-commit.js';
import { createSqliteStore } from './sqlite-store.js';

const folder = mkdtempSync(join(tmpdir(), 'omnidealer-group-commit-'));
let files = 0;
const freshPath = () => join(folder, `db-${++files}.db`);
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function openTable(path: string): Database.Database {
  const database = new Database(path);
  database.pragma('journal_mode = WAL');
  database.exec('CREATE TABLE IF NOT EXISTS rows (id TEXT PRIMARY KEY, value INTEGER NOT NULL)');
  return database;
}

describe('group commit', () => {
  it('commits the writes of one turn together: the log grows by one commit, not one per write', async () => {
    const together = openTable(freshPath());
    const apart = openTable(freshPath());
    const logSize = (database: Database.Database) => statSync(`${database.name}-wal`).size;
    const startTogether = logSize(together);
    const startApart = logSize(apart);

    const group = createGroupCommit(together);
    const insertTogether = together.prepare('INSERT INTO rows (id, value) VALUES (?, ?)');
    await Promise.all(Array.from({ length: 50 }, (_, index) => group.write(() => insertTogether.run(`r${index}`, index))));
    const single = createGroupCommit(apart);
    const insertApart = apart.prepare('INSERT INTO rows (id, value) VALUES (?, ?)');
    for (let index = 0; index < 50; index++) await single.write(() => insertApart.run(`r${index}`, index));

    // Every commit appends at least one page to the log.
    const pageSize = together.pragma('page_size', { simple: true }) as number;
    expect(logSize(together) - startTogether).toBeLessThanOrEqual(3 * (pageSize + 24));
    expect(logSize(apart) - startApart).toBeGreaterThanOrEqual(50 * pageSize);
    expect(together.prepare('SELECT count(*) AS n FROM rows').get()).toEqual({ n: 50 });
    together.close();
    apart.close();
  });

  it('settles a write only once it is committed: another connection sees it when the promise resolves', async () => {
    const path = freshPath();
    const writer = openTable(path);
    const reader = openTable(path);
    const count = () => (reader.prepare('SELECT count(*) AS n FROM rows').get() as { n: number }).n;
    const group = createGroupCommit(writer);
    const insert = writer.prepare('INSERT INTO rows (id, value) VALUES (?, ?)');
    const written = group.write(() => insert.run('r1', 1).changes);
    expect(count()).toBe(0);
    await expect(written).resolves.toBe(1);
    expect(count()).toBe(1);
    writer.close();
    reader.close();
  });

  it('rejects a failing write alone; the rest of its turn is committed', async () => {
    const database = openTable(freshPath());
    const group = createGroupCommit(database);
    const insert = database.prepare('INSERT INTO rows (id, value) VALUES (?, ?)');
    const results = await Promise.allSettled([
      group.write(() => insert.run('a', 1)),
      // Two statements, the second one failing: the first is undone with it.
      group.write(() => {
        insert.run('b', 2);
        insert.run('a', 3);
      }),
      group.write(() => insert.run('c', 4)),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    expect(database.prepare('SELECT id, value FROM rows ORDER BY id').all()).toEqual([
      { id: 'a', value: 1 },
      { id: 'c', value: 4 },
    ]);
    database.close();
  });

  it('rejects every write of a turn when the transaction cannot start', async () => {
    const path = freshPath();
    const holder = openTable(path);
    const database = new Database(path, { timeout: 50 });
    const group = createGroupCommit(database);
    const insert = database.prepare('INSERT INTO rows (id, value) VALUES (?, ?)');
    holder.exec('BEGIN IMMEDIATE');
    const results = await Promise.allSettled([group.write(() => insert.run('a', 1)), group.write(() => insert.run('b', 2))]);
    holder.exec('ROLLBACK');
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_BUSY' });
    expect(database.prepare('SELECT count(*) AS n FROM rows').get()).toEqual({ n: 0 });
    holder.close();
    database.close();
  });

  it('a store commits what was asked before close, and a write after close fails', async () => {
    const path = freshPath();
    const store = createSqliteStore({ path });
    const pending = store.putRecord('notes', 'k1', { text: 'записано до закрытия' });
    await store.close();
    await pending;
    const reopened = createSqliteStore({ path });
    expect(await reopened.getRecord('notes', 'k1')).toEqual({ text: 'записано до закрытия' });
    await reopened.close();
    await expect(reopened.putRecord('notes', 'k2', 1)).rejects.toThrow(/not open/);
  });
});
