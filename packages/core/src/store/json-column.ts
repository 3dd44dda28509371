import { z } from 'zod';
import { ValidationError } from '../errors/validation-error.js';

/** The stored shape of a scheduled job's payload (core has no schema for it: any JSON object). */
export const jobPayloadSchema = z.record(z.string(), z.unknown());

/** A record value: any JSON. */
export const jsonValueSchema = z.json();

/** Job statuses a store accepts. */
export const jobStatusSchema = z.enum(['pending', 'running', 'done', 'cancelled']);

/** Reads and writes JSON columns of one durable store (see {@link jsonColumns}). */
export interface JsonColumns {
  /**
   * Parses one JSON column and validates it with a core zod schema, so a row edited by hand, written by a buggy
   * release or cut by a disk fault surfaces as a typed error naming the table, row and field — never as an object
   * that breaks the hub later.
   * @throws ValidationError (`field` = `<store>.<table>.<path>`) when the JSON is malformed or does not fit the schema.
   */
  readJsonColumn<S extends z.ZodType>(schema: S, text: string, table: string, id: string): z.output<S>;
  /**
   * Serialises a value for a JSON column.
   * @throws ValidationError when the value has no JSON form (a function, a symbol, `undefined` at the top level, a
   * BigInt).
   */
  writeJsonColumn(value: unknown, what: string): string;
}

/** The JSON column reader and writer of a durable store; `store` (`sqlite`, `postgres`) starts the error fields. */
export function jsonColumns(store: string): JsonColumns {
  return {
    readJsonColumn(schema, text, table, id) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new ValidationError({
          field: `${store}.${table}`,
          message: `stored ${table} row "${id}" holds malformed JSON`,
          cause: error,
        });
      }
      const result = schema.safeParse(value);
      if (result.success) return result.data;
      const issue = result.error.issues[0];
      const path = [store, table, ...(issue?.path ?? []).map(String)].join('.');
      throw new ValidationError({
        field: path,
        message: `stored ${table} row "${id}" is invalid at ${path}: ${issue?.message ?? 'invalid'}`,
        raw: result.error.issues,
      });
    },
    writeJsonColumn(value, what) {
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch (error) {
        throw new ValidationError({ field: what, message: `${what} cannot be stored as JSON`, cause: error });
      }
      if (text === undefined) throw new ValidationError({ field: what, message: `${what} cannot be stored as JSON` });
      return text;
    },
  };
}
