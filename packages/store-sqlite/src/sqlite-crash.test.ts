import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from './sqlite-store.js';

const worker = fileURLToPath(new URL('./__fixtures__/crash-worker.ts', import.meta.url));
const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'omnidealer-crash-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function start(args: string[]): ChildProcess {
  return fork(worker, args, {
    cwd: packageRoot,
    execArgv: ['--conditions=omnidealer-source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

const exited = (child: ChildProcess) =>
  new Promise<NodeJS.Signals | number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.signalCode ?? child.exitCode);
    else child.once('exit', (code, signal) => resolve(signal ?? code));
  });

/** Runs the writer until it has reported `killAfter` committed contacts, then SIGKILLs it. Returns what it reported. */
async function writeUntilKilled(path: string, count: number, killAfter: number): Promise<number[]> {
  const child = start(['write', path, String(count)]);
  const committed: number[] = [];
  child.on('message', (message: { committed?: number }) => {
    if (message.committed === undefined) return;
    committed.push(message.committed);
    if (committed.length === killAfter) child.kill('SIGKILL');
  });
  expect(await exited(child)).toBe('SIGKILL');
  return committed;
}

interface WorkerReport {
  ready?: boolean;
  finished?: boolean;
  claimed?: string[];
}

/**
 * Starts workers `a` and `b` in `mode` on one file, lets them go once both are loaded and waits until both have
 * finished; `onReport` sees what each reports on the way.
 */
async function race(mode: string, path: string, onReport: (worker: string, report: WorkerReport) => void = () => {}) {
  const racers = ['a', 'b'].map((name) => {
    const child = start([mode, path, name]);
    let loaded = () => {};
    const ready = new Promise<void>((resolve) => {
      loaded = resolve;
    });
    const finished = new Promise<void>((resolve) =>
      child.on('message', (report: WorkerReport) => {
        onReport(name, report);
        if (report.ready) loaded();
        if (report.finished) resolve();
      }),
    );
    return { child, ready, finished };
  });
  await Promise.all(racers.map((racer) => racer.ready));
  for (const racer of racers) racer.child.send('go');
  await Promise.all(racers.map((racer) => racer.finished));
  await Promise.all(racers.map((racer) => exited(racer.child)));
}

describe('crash safety (real processes on one file)', () => {
  it('loses nothing a killed writer reported as committed, and a resumed writer duplicates nothing', async () => {
    const path = join(folder, 'campaign.db');
    const contacts = 400;
    const reported = new Set<number>();
    for (const killAfter of [37, 111, 5, 190]) {
      for (const index of await writeUntilKilled(path, contacts, killAfter)) reported.add(index);
      // Reopen after every kill: the file is consistent and holds every contact the dead process reported.
      const raw = new Database(path);
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      raw.close();
      const store = createSqliteStore({ path });
      const queued = await store.listQueuedMessages(10_000);
      const withMessage = new Set(queued.map((message) => message.contactId));
      for (const index of reported) {
        expect(withMessage.has(`contact-${index}`)).toBe(true);
        expect((await store.getJob(`deadline-contact-${index}`))?.status).toBe('pending');
      }
      await store.close();
    }

    const finisher = start(['write', path, String(contacts)]);
    const finished = new Promise<void>((resolve) =>
      finisher.on('message', (m: { finished?: boolean }) => m.finished && resolve()),
    );
    await finished;
    await exited(finisher);

    const store = createSqliteStore({ path });
    const queued = await store.listQueuedMessages(10_000);
    const perContact = new Map<string, number>();
    for (const message of queued) perContact.set(message.contactId, (perContact.get(message.contactId) ?? 0) + 1);
    expect(perContact.size).toBe(contacts);
    expect([...perContact.values()].every((count) => count === 1)).toBe(true);
    const jobs = await store.claimDueJobs(Number.MAX_SAFE_INTEGER, 10_000, 1000);
    expect(jobs).toHaveLength(contacts);
    // Every deadline points at the one message of its contact.
    const messageIds = new Set(queued.map((message) => message.id));
    expect(jobs.every((job) => messageIds.has(job.payload.messageId as string))).toBe(true);
    await store.close();
  }, 120_000);

  it('never lets two processes racing on one file lease the same job', async () => {
    const path = join(folder, 'race.db');
    const store = createSqliteStore({ path });
    const total = 600;
    for (let index = 0; index < total; index++) {
      await store.scheduleJob({
        id: `job-${index}`,
        kind: 'cascade.step',
        runAt: index,
        payload: {},
        status: 'pending',
        attempts: 0,
      });
    }
    await store.close();

    const claims = new Map<string, string[]>();
    await race('claim', path, (name, report) => {
      for (const id of report.claimed ?? []) claims.set(id, [...(claims.get(id) ?? []), name]);
    });

    expect(claims.size).toBe(total);
    const twice = [...claims].filter(([, by]) => by.length > 1);
    expect(twice).toEqual([]);
    // Both really raced: each process won some of the jobs.
    const byWorker = (name: string) => [...claims.values()].filter((by) => by[0] === name).length;
    expect(byWorker('a')).toBeGreaterThan(0);
    expect(byWorker('b')).toBeGreaterThan(0);
  }, 120_000);

  it('two processes updating one record at once lose no update (updateRecord takes the write lock before it reads)', async () => {
    const path = join(folder, 'updates.db');
    const store = createSqliteStore({ path });
    await store.putRecord('campaign', 'spend', { count: 0, last: [] });
    await store.close();
    await race('increment', path);

    const reopened = createSqliteStore({ path });
    const record = await reopened.getRecord<{ count: number; last: string[] }>('campaign', 'spend');
    await reopened.close();
    expect(record?.count).toBe(600);
    expect(record?.last).toHaveLength(10);
  }, 120_000);

  it('two processes updating one contact at once lose no change (updateContact reads under the write lock)', async () => {
    const path = join(folder, 'contact.db');
    const store = createSqliteStore({ path });
    await store.saveContact({ id: 'contact-1', phone: '+79161234567', consent: { whatsapp: 'opted_out' } });
    await store.close();
    await race('identify', path);

    const reopened = createSqliteStore({ path });
    const contact = await reopened.getContact('contact-1');
    expect((await reopened.findContactByAddress('b:149'))?.id).toBe('contact-1');
    await reopened.close();
    const added = Object.keys(contact?.identities ?? {});
    expect(added).toHaveLength(300);
    expect(contact?.consent).toEqual({ whatsapp: 'opted_out' });
    // Both really raced: the identities were added in turns from a and b, not all of one process's first.
    const turns = added.filter((key, index) => index > 0 && key[0] !== added[index - 1]?.[0]).length;
    expect(turns).toBeGreaterThan(2);
  }, 120_000);

  it('two processes opening conversations for the same contacts open one each and lose no change to it', async () => {
    const path = join(folder, 'conversations.db');
    const opened = new Map<string, string>();
    await race('converse', path);

    const reopened = createSqliteStore({ path });
    for (let index = 0; index < 100; index++) {
      const conversations = await reopened.listConversations({ contactId: `contact-${index}` });
      expect(conversations).toHaveLength(1);
      expect(conversations[0]?.unreadCount).toBe(2);
      opened.set(`contact-${index}`, conversations[0]?.id.split('-')[1] ?? '');
    }
    await reopened.close();
    // Both really raced: each process opened some of the conversations.
    expect(new Set(opened.values())).toEqual(new Set(['a', 'b']));
  }, 120_000);
});
