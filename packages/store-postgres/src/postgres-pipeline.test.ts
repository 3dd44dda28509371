import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshSchema, testPostgresUrl } from './__fixtures__/postgres-url.js';
import { checkValues, runPipeline } from './postgres-pipeline.js';

const url = testPostgresUrl();

describe('checkValues', () => {
  it('refuses a NUL in a text, also inside an array, and numbers with no SQL form', () => {
    expect(() => checkValues({ text: 'x', values: ['a\u0000b'] })).toThrow(/U\+0000/);
    expect(() => checkValues({ text: 'x', values: [['ok', 'a\u0000']] })).toThrow(/U\+0000/);
    expect(() => checkValues({ text: 'x', values: [Number.NaN] })).toThrow(/NaN/);
    // JSON keeps a NUL escaped (`\u0000` as six characters): that text is fine.
    expect(() => checkValues({ text: 'x', values: [JSON.stringify('a\u0000b'), 1, null, true] })).not.toThrow();
  });
});

describe.skipIf(!url)('runPipeline (real PostgreSQL)', () => {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const table = `"${freshSchema()}_pipeline"`;
  beforeAll(() => pool.query(`CREATE TABLE ${table} (id text PRIMARY KEY, n int NOT NULL)`));
  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  });
  const insert = (id: string, n: unknown) => ({ text: `INSERT INTO ${table} (id, n) VALUES ($1, $2)`, values: [id, n] });
  const select = (id: string) => ({ text: `SELECT id, n FROM ${table} WHERE id = $1`, values: [id] });
  const preparedNames = async (client: pg.PoolClient) =>
    (await client.query<{ name: string }>('SELECT name FROM pg_prepared_statements ORDER BY name')).rows.map((row) => row.name);

  it('answers each statement in order, rows and counts, and prepares each text once per connection', async () => {
    const client = await pool.connect();
    try {
      const results = await runPipeline(client, [insert('a', 1), insert('b', 2), select('a'), select('missing')]);
      expect(results.map((result) => [result.command, result.rowCount, result.rows])).toEqual([
        ['INSERT', 1, []],
        ['INSERT', 1, []],
        ['SELECT', 1, [{ id: 'a', n: 1 }]],
        ['SELECT', 0, []],
      ]);
      // Two texts, two prepared statements; running them again parses nothing new (a second Parse would fail).
      expect(await preparedNames(client)).toHaveLength(2);
      const again = await runPipeline(client, [insert('c', 3), select('c')]);
      expect(again[1]?.rows).toEqual([{ id: 'c', n: 3 }]);
      expect(await preparedNames(client)).toHaveLength(2);
    } finally {
      client.release();
    }
  });

  it('outside BEGIN runs as one transaction ending at its Sync: an error writes nothing of it', async () => {
    const client = await pool.connect();
    try {
      const error = await runPipeline(client, [insert('d', 4), insert('a', 5), insert('e', 6)]).catch((caught) => caught);
      expect(error).toMatchObject({ code: '23505' });
      const { rows } = await client.query(`SELECT id FROM ${table} WHERE id IN ('d', 'e')`);
      expect(rows).toEqual([]);
      // The connection goes on; statements prepared before the error are known (no "already exists").
      const results = await runPipeline(client, [insert('d', 4), select('d')]);
      expect(results[1]?.rows).toEqual([{ id: 'd', n: 4 }]);
    } finally {
      client.release();
    }
  });

  it('does not take a statement that failed to parse as prepared', async () => {
    const client = await pool.connect();
    try {
      const broken = { text: `SELEKT id FROM ${table}`, values: [] };
      await expect(runPipeline(client, [select('a'), broken])).rejects.toMatchObject({ code: '42601' });
      await expect(runPipeline(client, [broken])).rejects.toMatchObject({ code: '42601' });
      expect((await runPipeline(client, [select('a')]))[0]?.rows).toEqual([{ id: 'a', n: 1 }]);
    } finally {
      client.release();
    }
  });

  it("on a client with pg's query_timeout: a fast pipeline answers, a slow one fails with pg's timeout", async () => {
    const timed = new pg.Pool({ connectionString: url, max: 1, query_timeout: 200 });
    try {
      const client = await timed.connect();
      try {
        const fast = await runPipeline(client, [select('a')]);
        expect(fast[0]?.rows).toEqual([{ id: 'a', n: 1 }]);
        await expect(runPipeline(client, [{ text: 'SELECT pg_sleep($1)', values: [1] }])).rejects.toThrow(/timeout/i);
      } finally {
        client.release(true);
      }
    } finally {
      await timed.end();
    }
  });
});
