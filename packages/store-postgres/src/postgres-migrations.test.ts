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

/** Every version a schema migrated from scratch records: 1…n. */
const allVersions = postgresMigrations.map((_, index) => index + 1);

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
    expect(await versions(schema)).toEqual(allVersions);
    await store.close();
  });

  it('migrates once when several processes start at once, and is a no-op when current', async () => {
    const schema = freshSchema();
    const stores = Array.from({ length: 6 }, () => createPostgresStore({ connectionString: url, schema, poolSize: 1 }));
    expect(await Promise.all(stores.map((store) => store.migrate()))).toEqual(stores.map(() => postgresMigrations.length));
    expect(await versions(schema)).toEqual(allVersions);
    const late = createPostgresStore({ connectionString: url, schema });
    await late.migrate();
    expect(await versions(schema)).toEqual(allVersions);
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
      new RegExp(
        `schema "${schema}" .* is at version 99, newer than this @omnidealer/store-postgres knows \\(${postgresMigrations.length}\\): upgrade`,
      ),
    );
    await Promise.all([store.close(), newer.close()]);
  });

  it('fills branch_id from the JSON when a schema of version 1 is upgraded (step 2)', async () => {
    const schema = freshSchema();
    const client = await admin!.connect();
    try {
      await migrateSchema(client, schema, 'test', postgresMigrations.slice(0, 1));
      for (const [id, branchId] of [
        ['n1', 'north'],
        ['s1', 'south'],
        ['g1', undefined],
      ] as const) {
        const row = {
          id,
          contactId: `contact-${id}`,
          channel: 'whatsapp',
          ...(branchId ? { branchId } : {}),
          status: 'open',
          handler: 'operator',
          assignments: [],
          unreadCount: 0,
          // Texts PostgreSQL's JSON functions refuse (a NUL) or that look like one (an escaped backslash before u0000).
          subject: { title: 'nul \u0000 inside', note: 'not a nul: \\u0000' },
          createdAt: 1,
          updatedAt: id === 'n1' ? 1 : 2,
        };
        await client.query(
          `INSERT INTO "${schema}".conversations (id, contact_id, channel, status, handler, updated_at, data)
           VALUES ($1, $2, 'whatsapp', 'open', 'operator', $3, $4)`,
          [id, row.contactId, row.updatedAt, JSON.stringify(row)],
        );
      }
    } finally {
      client.release();
    }
    const store = createPostgresStore({ connectionString: url, schema });
    expect(await store.migrate()).toBe(postgresMigrations.length);
    expect(await versions(schema)).toEqual(allVersions);
    expect((await admin!.query(`SELECT id, branch_id FROM "${schema}".conversations ORDER BY id`)).rows).toEqual([
      { id: 'g1', branch_id: null },
      { id: 'n1', branch_id: 'north' },
      { id: 's1', branch_id: 'south' },
    ]);
    expect((await store.listConversations({ branchId: 'north' })).map((found) => found.id)).toEqual(['n1']);
    await store.close();
  });
});
