import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from './sqlite-store.js';

const worker = fileURLToPath(new URL('./__fixtures__/consent-worker.ts', import.meta.url));
const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'omnidealer-consent-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

interface Report {
  ready?: boolean;
  finished?: boolean;
  sent?: string[];
  refused?: string[];
}

/** Seeds 100 contacts who granted SMS consent, as a CRM import would. */
async function seed(path: string): Promise<void> {
  const store = createSqliteStore({ path });
  for (let index = 0; index < 100; index++)
    await store.saveContact({
      id: `contact-${index}`,
      phone: `+7916${String(index).padStart(7, '0')}`,
      consent: { sms: 'granted' },
    });
  await store.close();
}

/** Runs two hub processes (`modeA` as a, `modeB` as b) on one file, started together; resolves with their reports. */
async function race(path: string, modeA: string, modeB: string): Promise<Record<'a' | 'b', Report>> {
  const racers = (['a', 'b'] as const).map((name) => {
    const child: ChildProcess = fork(worker, [name === 'a' ? modeA : modeB, path, name], {
      cwd: packageRoot,
      execArgv: ['--conditions=omnidealer-source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let loaded = () => {};
    const ready = new Promise<void>((resolve) => {
      loaded = resolve;
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const finished = new Promise<Report>((resolve, reject) => {
      child.on('message', (report: Report) => {
        if (report.ready) loaded();
        if (report.finished) resolve(report);
      });
      // A worker that dies before reporting fails the test now, not at its timeout.
      void exited.then((code) => reject(new Error(`worker ${name} exited (${code}) before finishing`)));
    });
    void finished.catch(() => loaded());
    return { child, ready, finished, exited };
  });
  await Promise.all(racers.map((racer) => racer.ready));
  for (const racer of racers) racer.child.send('go');
  const [a, b] = await Promise.all(racers.map((racer) => racer.finished));
  await Promise.all(racers.map((racer) => racer.exited));
  return { a: a as Report, b: b as Report };
}

describe('consent and the frequency cap across processes (two hubs on one SQLite file)', () => {
  it('two processes mailing the same 100 contacts at once: each contact gets one marketing message', async () => {
    const path = join(folder, 'mail.db');
    await seed(path);
    const { a, b } = await race(path, 'mail', 'mail');
    const sent = [...(a.sent ?? []), ...(b.sent ?? [])];
    expect(sent).toHaveLength(100);
    expect(new Set(sent).size).toBe(100);
    expect([...(a.refused ?? []), ...(b.refused ?? [])].sort()).toEqual([...sent].sort());
    // Both really raced: each process sent some.
    expect(a.sent?.length).toBeGreaterThan(0);
    expect(b.sent?.length).toBeGreaterThan(0);
    const store = createSqliteStore({ path });
    for (let index = 0; index < 100; index++)
      expect(await store.getRecord<unknown[]>('cascade.history', `contact-${index}`)).toHaveLength(1);
    await store.close();
  }, 120_000);

  it('an opt-out made in one process is never undone by a send with a consent map in another', async () => {
    const path = join(folder, 'stop.db');
    await seed(path);
    const { b } = await race(path, 'stop', 'resend');
    const store = createSqliteStore({ path });
    for (let index = 0; index < 100; index++)
      expect((await store.getContact(`contact-${index}`))?.consent?.sms, `contact-${index}`).toBe('opted_out');
    await store.close();
    // The sends that came after a contact's opt-out were refused: the race met in the middle.
    expect(b.refused?.length).toBeGreaterThan(0);
    expect((b.sent?.length ?? 0) + (b.refused?.length ?? 0)).toBe(100);
  }, 120_000);
});
