import pg from 'pg';
import postgres from 'postgres';
import { startPostgresServer } from './start-postgres-server.js';

const server = await startPostgresServer({ durable: process.env.DURABLE === '1' });
try {
  const setup = new pg.Client({ connectionString: server.url });
  await setup.connect();
  await setup.query(
    'CREATE TABLE m (id text primary key, data text not null); CREATE TABLE r (k text primary key, v text not null)',
  );
  await setup.end();
  const N = 4000,
    C = 32,
    POOL = 10;
  const payload = JSON.stringify({ content: { type: 'text', text: 'Ваш автомобиль готов' }, status: 'queued', n: 1 });
  async function run(label: string, one: (i: number) => Promise<unknown>) {
    let next = 0;
    const t = performance.now();
    await Promise.all(
      Array.from({ length: C }, async () => {
        while (next < N) await one(next++);
      }),
    );
    const s = (performance.now() - t) / 1000;
    console.log(label.padEnd(40), Math.round(N / s), 'ops/s');
  }
  const pool = new pg.Pool({ connectionString: server.url, max: POOL });
  const sql = postgres(server.url, { max: POOL, onnotice: () => {} });
  for (let round = 0; round < 3; round++) {
    await run('pg upsert', (i) =>
      pool.query('INSERT INTO m (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = excluded.data', [
        `pg${round}-${i}`,
        payload,
      ]),
    );
    await run(
      'postgres upsert',
      (i) =>
        sql`INSERT INTO m (id, data) VALUES (${`pj${round}-${i}`}, ${payload}) ON CONFLICT (id) DO UPDATE SET data = excluded.data`,
    );
    await run('pg tx lock+select+upsert', async (i) => {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        await c.query('SELECT pg_advisory_xact_lock($1)', [i % 500]);
        const r = await c.query('SELECT v FROM r WHERE k = $1 FOR UPDATE', [`k${i % 500}`]);
        await c.query('INSERT INTO r (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v', [
          `k${i % 500}`,
          String(Number(r.rows[0]?.v ?? 0) + 1),
        ]);
        await c.query('COMMIT');
      } catch (e) {
        await c.query('ROLLBACK');
        throw e;
      } finally {
        c.release();
      }
    });
    await run('postgres tx lock+select+upsert', (i) =>
      sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(${i % 500})`;
        const r = await tx`SELECT v FROM r WHERE k = ${`k${i % 500}`} FOR UPDATE`;
        await tx`INSERT INTO r (k, v) VALUES (${`k${i % 500}`}, ${String(Number(r[0]?.v ?? 0) + 1)}) ON CONFLICT (k) DO UPDATE SET v = excluded.v`;
      }),
    );
  }
  await pool.end();
  await sql.end();
} finally {
  await server.stop();
}
