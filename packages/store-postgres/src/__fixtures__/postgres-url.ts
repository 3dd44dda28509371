import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Connection string of the throwaway test cluster, or '' when PostgreSQL is missing (the tests skip). */
    postgresUrl: string;
  }
}

/** The connection string of the cluster the global setup started, or '' when PostgreSQL is missing (tests skip). */
export const testPostgresUrl = (): string => inject('postgresUrl');

let schemas = 0;
/** A schema name no other test store of this run uses, so every store starts empty. */
export const freshSchema = (): string => `test_${process.pid}_${++schemas}`;
