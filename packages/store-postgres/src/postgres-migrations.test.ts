import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freshSchema, testPostgresUrl } from './__fixtures__/postgres-url.js';
import { migrateSchema, postgresMigrations } from './postgres-migrations.js';
import { createPostgresStore } from './postgres-store.js';
import { PostgresStoreError } from './postgres-store-error.js';

const url = testPostgresUrl();
const admin = url ? new pg.Pool({ connectionString: url, max: 3 }) : undefined;
afterAll(() => admin?.end());

const tables = async (schema: string) =>
  (
    await admin!.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    )
  ).rows.map((row) => row.table_name);
const versions = async (schema: string) =>
  (
    await admin!.query<{ version: number }>(`SELECT version FROM "${schema}".omnidealer_schema_versions ORDER BY version`)
  ).rows.map((row) => row.version);

describe.skipIf(!url)('migrations (real PostgreSQL)', () => {
  it('creates the schema on first use and records its version', async () => {
    const schema = freshSchema();
    const store = createPostgresStore({ connectionString: url, schema });
    expect(await store.getContact('nobody')).toBeUndefined();
    expect(await tables(schema)).toEqual([
      'contact_addresses',
      'contacts',
      'conversations',
      'idempotency_keys',
      'jobs',
      'messages',
      'omnidealer_schema_versions',
      'records',
      'webhook_keys',
    ]);
    expect(await versions(schema)).toEqual([postgresMigrations.length]);
    await store.close();
  });

  it('migrates once when several processes start at once, and is a no-op when current', async () => {
    const schema = freshSchema();
    const stores = Array.from({ length: 6 }, () => createPostgresStore({ connectionString: url, schema, poolSize: 1 }));
    expect(await Promise.all(stores.map((store) => store.migrate()))).toEqual(stores.map(() => postgresMigrations.length));
    expect(await versions(schema)).toEqual([1]);
    const late = createPostgresStore({ connectionString: url, schema });
    await late.migrate();
    expect(await versions(schema)).toEqual([1]);
    await Promise.all([...stores, late].map((store) => store.close()));
  });

  it('runs only the steps a schema has not seen, and rolls a failing step back whole', async () => {
    const schema = freshSchema();
    const steps = [
      (s: string) => `CREATE TABLE ${s}.t (a integer)`,
      (s: string) => `INSERT INTO ${s}.t VALUES (1); ALTER TABLE ${s}.t ADD COLUMN b text DEFAULT 'x'`,
    ];
    const client = await admin!.connect();
    try {
      expect(await migrateSchema(client, schema, 'test', steps.slice(0, 1))).toBe(1);
      await client.query(`INSERT INTO "${schema}".t (a) VALUES (7)`);
      expect(await migrateSchema(client, schema, 'test', steps)).toBe(2);
      expect((await client.query(`SELECT a, b FROM "${schema}".t ORDER BY a`)).rows).toEqual([
        { a: 1, b: 'x' },
        { a: 7, b: 'x' },
      ]);
      await migrateSchema(client, schema, 'test', steps);
      expect((await client.query(`SELECT count(*)::int AS n FROM "${schema}".t`)).rows).toEqual([{ n: 2 }]);

      const broken = [...steps, (s: string) => `CREATE TABLE ${s}.u (b integer); INSERT INTO ${s}.missing VALUES (1)`];
      await expect(migrateSchema(client, schema, 'test', broken)).rejects.toThrow(/missing/);
      expect(await versions(schema)).toEqual([1, 2]);
      expect(await tables(schema)).not.toContain('u');
    } finally {
      client.release();
    }
  });

  it('refuses to start on a schema a newer release migrated, with a clear message', async () => {
    const schema = freshSchema();
    const store = createPostgresStore({ connectionString: url, schema });
    await store.migrate();
    await admin!.query(`INSERT INTO "${schema}".omnidealer_schema_versions (version) VALUES (99)`);
    const newer = createPostgresStore({ connectionString: url, schema });
    const error = await newer.getContact('c1').catch((caught: unknown) => caught);
    expect(PostgresStoreError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'schema_too_new', retryable: false, code: 'validation' });
    expect((error as Error).message).toMatch(
      new RegExp(`schema "${schema}" .* is at version 99, newer than this @omnidealer/store-postgres knows \\(1\\): upgrade`),
    );
    await Promise.all([store.close(), newer.close()]);
  });
});
