import { createHash } from 'node:crypto';
import pg, { type PoolClient, type QueryResult } from 'pg';

/** A statement and its values. */
export interface Statement {
  text: string;
  values: unknown[];
}

// pg's row parser and value serialiser, which its own queries use (present on the default export, not in its types).
interface PgResult extends QueryResult {
  addCommandComplete(message: unknown): void;
  addFields(fields: unknown[]): void;
  parseRow(fields: unknown[]): unknown;
  addRow(row: unknown): void;
}
const { Result, utils } = pg as unknown as {
  Result: new () => PgResult;
  utils: { prepareValue(value: unknown): unknown };
};

/** The wire-protocol calls of pg's connection (`client.connection`, not in pg's types) the pipeline makes. */
interface WireConnection {
  stream: { cork?(): void; uncork?(): void };
  /** Statements this connection has parsed (pg's own record, shared with its named queries). */
  parsedStatements: Record<string, string>;
  parse(message: { name: string; text: string; types: unknown[] }): void;
  bind(message: { portal: string; statement: string; values: unknown[]; valueMapper(value: unknown): unknown }): void;
  describe(message: { type: 'P'; name: string }): void;
  execute(message: { portal: string; rows: number }): void;
  sync(): void;
}

/**
 * Throws a TypeError for a value PostgreSQL would refuse mid-pipeline — a text holding U+0000 (a text value never
 * can), a number with no SQL form — so that a batch's caller fails alone, before anything is sent.
 */
export function checkValues(statement: Statement): void {
  for (const value of statement.values) {
    if (typeof value === 'string') {
      if (value.includes('\u0000')) throw new TypeError('PostgreSQL cannot store a text value holding the character U+0000');
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new TypeError(`cannot store the number ${value}`);
    } else if (Array.isArray(value)) {
      checkValues({ text: statement.text, values: value });
    }
  }
}

const statementNames = new Map<string, string>();
/** A prepared-statement name for an SQL text: each connection parses a statement once, then only binds it. */
export function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `omnidealer_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    if (statementNames.size >= 1000) statementNames.clear();
    statementNames.set(text, name);
  }
  return name;
}

/**
 * Statements sent in ONE round trip as prepared statements, with one Sync at the end (PostgreSQL's pipelining of the
 * extended protocol): what a multi-statement simple query gave (one trip; outside BEGIN, one implicit transaction
 * committed at the Sync), without parsing and planning every statement again. Each statement is parsed once per
 * connection (pg's record of parsed statements, so its named queries share them). The server stops at the first
 * error and skips the rest up to the Sync; the pipeline fails with that error.
 */
export function runPipeline(client: PoolClient, statements: Statement[]): Promise<QueryResult[]> {
  return new Promise((resolve, reject) => {
    client.query(new Pipeline(statements, resolve, reject) as never);
  });
}

/** A pg Submittable: pg hands it the connection when it is its turn, and the server's answers until ReadyForQuery. */
class Pipeline {
  private readonly results: PgResult[] = [];
  private current = new Result();
  private error: unknown;
  /** Statement names this pipeline parses, by the statement that parses them. */
  private readonly parsing: Array<string | undefined> = [];
  private connection: WireConnection | undefined;
  /** Set by pg when the client has a `query_timeout`: called once when the pipeline settles, so pg clears its timer. */
  callback?: (error: unknown, results?: QueryResult[]) => void;
  private settled = false;

  constructor(
    private readonly statements: Statement[],
    private readonly resolve: (results: QueryResult[]) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  /** The statements' texts, as a multi-statement query would read (what a wrapped `client.query` sees); on demand. */
  get text(): string {
    return this.statements.map((statement) => statement.text).join('; ');
  }

  submit(connection: WireConnection): void {
    this.connection = connection;
    const parsedHere = new Set<string>();
    connection.stream.cork?.();
    try {
      for (const statement of this.statements) {
        const name = statementName(statement.text);
        const parse = connection.parsedStatements[name] === undefined && !parsedHere.has(name);
        if (parse) {
          connection.parse({ name, text: statement.text, types: [] });
          parsedHere.add(name);
        }
        this.parsing.push(parse ? name : undefined);
        connection.bind({ portal: '', statement: name, values: statement.values, valueMapper: utils.prepareValue });
        connection.describe({ type: 'P', name: '' });
        connection.execute({ portal: '', rows: 0 });
      }
    } catch (error) {
      // A value pg cannot serialise: nothing was executed; the Sync below ends what was sent.
      this.error = error;
    } finally {
      connection.sync();
      connection.stream.uncork?.();
    }
  }

  handleRowDescription(message: { fields: unknown[] }): void {
    this.current.addFields(message.fields);
  }

  handleDataRow(message: { fields: unknown[] }): void {
    try {
      this.current.addRow(this.current.parseRow(message.fields));
    } catch (error) {
      this.error ??= error;
    }
  }

  handleCommandComplete(message: unknown): void {
    this.current.addCommandComplete(message);
    this.results.push(this.current);
    this.current = new Result();
  }

  handleEmptyQuery(): void {
    this.results.push(this.current);
    this.current = new Result();
  }

  handleError(error: unknown): void {
    this.error ??= error;
    // pg calls this on an error message, then the server still sends ReadyForQuery after the Sync — except when the
    // connection itself failed (no ReadyForQuery will come): settle now either way; a second settle is a no-op.
    this.remember(this.results.length + 1, error);
    this.settle(error);
  }

  handleReadyForQuery(): void {
    if (this.error !== undefined) {
      this.remember(this.results.length + 1, this.error);
      this.settle(this.error);
      return;
    }
    this.remember(this.results.length, undefined);
    this.settle(undefined);
  }

  handlePortalSuspended(): void {}

  handleCopyInResponse(): void {}

  handleCopyData(): void {}

  /** Answers once: pg's timer (through `callback`) and the caller's promise. */
  private settle(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.callback?.(error ?? null, error === undefined ? this.results : undefined);
    if (error === undefined) this.resolve(this.results);
    else this.reject(error);
  }

  /** Records the statements the server parsed (those of the first `count` statements) as this connection's. */
  private remember(count: number, error: unknown): void {
    const connection = this.connection;
    if (!connection) return;
    // A statement whose own text failed to parse (a syntax error, class 42) is not prepared.
    const code = (error as { code?: unknown } | undefined)?.code;
    const failedToParse = typeof code === 'string' && code.startsWith('42');
    for (let index = 0; index < Math.min(count, this.statements.length); index++) {
      const name = this.parsing[index];
      if (name === undefined) continue;
      if (failedToParse && index === count - 1) continue;
      connection.parsedStatements[name] = (this.statements[index] as Statement).text;
    }
    this.connection = undefined;
  }
}
