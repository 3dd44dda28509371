import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from './sqlite-store.js';

const campaign = fileURLToPath(new URL('./__fixtures__/hub-campaign.ts', import.meta.url));
const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'omnidealer-hub-crash-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

type Report = { received?: string; contactId?: string; handled?: string; failed?: string; code?: string; finished?: boolean };

describe('hub on the SQLite store, killed with SIGKILL mid-campaign', () => {
  it('reaches every contact with one message: no one missed, no second message to anyone', async () => {
    const path = join(folder, 'campaign.db');
    const contacts = 150;
    // What the provider saw: message ids per contact. A retry of the same id is one message (providers de-duplicate on it).
    const received = new Map<string, Set<string>>();
    const failures: Report[] = [];
    let requests = 0;

    const run = (killAfterRequests?: number) =>
      new Promise<string>((resolve) => {
        const child: ChildProcess = fork(campaign, [path, String(contacts)], {
          cwd: packageRoot,
          execArgv: ['--conditions=omnidealer-source', '--import', 'tsx'],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        let seen = 0;
        child.on('message', (report: Report) => {
          if (report.received && report.contactId) {
            requests++;
            const ids = received.get(report.contactId) ?? new Set<string>();
            ids.add(report.received);
            received.set(report.contactId, ids);
            if (++seen === killAfterRequests) child.kill('SIGKILL');
          }
          if (report.failed) failures.push(report);
        });
        child.once('exit', (code, signal) => resolve(signal ?? String(code)));
      });

    const kills = [23, 41, 4, 30];
    for (const killAfter of kills) expect(await run(killAfter)).toBe('SIGKILL');
    expect(await run()).toBe('0');

    expect(failures).toEqual([]);
    expect(received.size).toBe(contacts);
    const twice = [...received].filter(([, ids]) => ids.size > 1).map(([contactId]) => contactId);
    expect(twice).toEqual([]);
    // A crash costs at most one repeated request (the message in flight, same id), never more.
    expect(requests).toBeGreaterThanOrEqual(contacts);
    expect(requests).toBeLessThanOrEqual(contacts + kills.length);

    const store = createSqliteStore({ path });
    expect(await store.listQueuedMessages()).toEqual([]);
    for (const [contactId, ids] of received) {
      const [id] = [...ids];
      expect((await store.getMessage(id as string))?.status, contactId).toBe('sent');
    }
    await store.close();
  }, 180_000);
});
