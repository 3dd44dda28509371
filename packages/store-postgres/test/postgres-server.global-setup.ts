// Starts one throwaway PostgreSQL cluster for this package's tests and removes it afterwards (each test store gets a
// schema of its own). Without the server programs the tests are skipped with a message — except under CI, where a
// missing PostgreSQL fails the run.
import type { TestProject } from 'vitest/node';
import type {} from '../src/__fixtures__/postgres-url.js';
import { postgresInstallHint, postgresServerAvailable, startPostgresServer } from './start-postgres-server.js';

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const available = postgresServerAvailable();
  if (!available.ok) {
    if (process.env.CI) {
      throw new Error(
        `PostgreSQL is required under CI for the @omnidealer/store-postgres tests (${available.reason}): ${postgresInstallHint}`,
      );
    }
    console.warn(
      `[@omnidealer/store-postgres] PostgreSQL not found: the PostgreSQL tests are SKIPPED. Install it: ${postgresInstallHint}`,
    );
    project.provide('postgresUrl', '');
    return undefined;
  }
  const server = await startPostgresServer();
  project.provide('postgresUrl', server.url);
  return () => server.stop();
}
