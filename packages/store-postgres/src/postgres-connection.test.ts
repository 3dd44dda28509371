import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freshSchema, testPostgresUrl } from './__fixtures__/postgres-url.js';
import { createPostgresStore } from './postgres-store.js';
import { PostgresStoreError } from './postgres-store-error.js';

const url = testPostgresUrl();
const admin = url ? new pg.Pool({ connectionString: url, max: 3 }) : undefined;
afterAll(() => admin?.end());

describe('connection errors', () => {
  it('names the host of a server it cannot reach, never the password', async () => {
    const store = createPostgresStore({
      connectionString: 'postgresql://dealer:s3cret-pa55@127.0.0.1:1/crm',
      retries: 1,
      connectTimeoutMs: 2_000,
    });
    const error = await store.getContact('c1').catch((caught: unknown) => caught);
    expect(PostgresStoreError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      reason: 'connect',
      retryable: true,
      code: 'network',
      server: '127.0.0.1:1/crm',
      sqlState: 'ECONNREFUSED',
    });
    expect((error as Error).message).toContain('cannot connect to PostgreSQL at 127.0.0.1:1/crm');
    expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain('s3cret');
    expect(store.server).toBe('127.0.0.1:1/crm');
    await store.close();
  });

  it('does not repeat a connection string it cannot parse', () => {
    const attempt = () => createPostgresStore({ connectionString: 'postgresql://dealer:s3cret-pa55@db.internal:notaport/crm' });
    expect(attempt).toThrow(PostgresStoreError);
    expect(attempt).toThrow(/cannot be parsed/);
    expect(attempt).not.toThrow(/s3cret/);
  });

  it('refuses a schema name that is not a plain identifier', () => {
    expect(() => createPostgresStore({ connectionString: 'postgresql://localhost/crm', schema: 'a"; DROP TABLE x; --' })).toThrow(
      /not a plain PostgreSQL identifier/,
    );
  });
});

describe.skipIf(!url)('connection errors (real PostgreSQL)', () => {
  it('reports a database that does not exist as not retryable', async () => {
    const store = createPostgresStore({ connectionString: url.replace('/omnidealer_test?', '/no_such_database?') });
    await expect(store.migrate()).rejects.toMatchObject({ reason: 'auth', retryable: false, sqlState: '3D000' });
    await store.close();
  });

  /** Waits until a backend of `applicationName` waits on a lock, and terminates it (a lost connection). */
  async function terminateWhenBlocked(applicationName: string): Promise<void> {
    for (let tries = 0; tries < 200; tries++) {
      const { rows } = await admin!.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
        [applicationName],
      );
      if (rows[0]) {
        await admin!.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`no backend of ${applicationName} blocked`);
  }

  it('retries a transaction whose connection broke before its callback ran', async () => {
    const schema = freshSchema();
    const store = createPostgresStore({ connectionString: `${url}&application_name=retry_before`, schema });
    await store.putRecord('caps', 'count', 1);
    const blocker = await admin!.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`LOCK TABLE "${schema}".records IN ACCESS EXCLUSIVE MODE`);
      let calls = 0;
      const updated = store.updateRecord<number>('caps', 'count', (current) => {
        calls++;
        return (current ?? 0) + 1;
      });
      await terminateWhenBlocked('retry_before');
      await blocker.query('ROLLBACK');
      expect(await updated).toBe(2);
      expect(calls).toBe(1);
    } finally {
      blocker.release();
    }
    await store.close();
  });

  it('surfaces a connection lost after the callback ran as retryable, with nothing half-written', async () => {
    const schema = freshSchema();
    const store = createPostgresStore({ connectionString: `${url}&application_name=lost_after`, schema });
    await store.saveContact({ id: 'crm-42', phone: '+79161234567' });
    await store.saveContact({ id: 'contact-x', email: 'ivan@example.ru' });
    const blocker = await admin!.connect();
    try {
      await blocker.query('BEGIN');
      // The merge reads both contacts, runs the plan, deletes the merged contact, then blocks on the addresses.
      await blocker.query(`LOCK TABLE "${schema}".contact_addresses IN EXCLUSIVE MODE`);
      let plans = 0;
      const merged = store
        .mergeContacts('crm-42', 'contact-x', (keep, other, conversations) => {
          plans++;
          return { contact: { ...keep, email: other.email }, conversations, folded: [] };
        })
        .catch((error: unknown) => error);
      await terminateWhenBlocked('lost_after');
      await blocker.query('ROLLBACK');
      const error = await merged;
      expect(PostgresStoreError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ reason: 'connection_lost', retryable: true });
      expect(plans).toBe(1);
    } finally {
      blocker.release();
    }
    expect(await store.getContact('contact-x')).toEqual({ id: 'contact-x', email: 'ivan@example.ru' });
    expect((await store.findContactByAddress('ivan@example.ru'))?.id).toBe('contact-x');
    expect((await store.getContact('crm-42'))?.email).toBeUndefined();
    await store.close();
  });
});
