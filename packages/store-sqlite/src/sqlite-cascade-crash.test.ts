import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSeededRandom, type Sandbox, startSandbox } from '@omnidealer/sandbox';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { type CascadeCampaignConfig, campaignContact } from './__fixtures__/cascade-campaign.js';

const campaign = fileURLToPath(new URL('./__fixtures__/cascade-campaign.ts', import.meta.url));
const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'omnidealer-cascade-crash-'));
let sandbox: Sandbox | undefined;
afterAll(async () => {
  await sandbox?.stop();
  rmSync(folder, { recursive: true, force: true });
});

// 400 contacts by default keep the suite within budget when CI runs everything at once on 2 cores (1 000 take ~35 s
// alone, 2 000 ~80 s); CASCADE_CRASH_CONTACTS=5000 runs the full figure.
const contacts = Number(process.env.CASCADE_CRASH_CONTACTS ?? 400);
type Report = { campaign?: number; errors?: number; finished?: boolean };

describe('cascade campaign on the SQLite store, killed with SIGKILL at random points', () => {
  it('handles every contact as the policy says: e-mail, then WhatsApp, then SMS; no one missed, one stored message per channel, only sends in flight at a kill repeated', async () => {
    const path = join(folder, 'campaign.db');
    sandbox = await startSandbox({ seed: 9, timers: 'manual', behaviour: { whatsapp: { notOnWhatsApp: 0 } } });
    const { whatsapp, smsRu, smtp } = sandbox.credentials;
    // What each provider received, per recipient.
    const received = new Map<string, number>();
    // The runs (0, 1, … one per process) in which each recipient's message reached the provider.
    const runsOf = new Map<string, number[]>();
    let runIndex = 0;
    let accepted = 0;
    let onAccepted: () => void = () => undefined;
    sandbox.on('message.accepted', (event) => {
      const key = `${event.provider}:${event.to}`;
      received.set(key, (received.get(key) ?? 0) + 1);
      runsOf.set(key, [...(runsOf.get(key) ?? []), runIndex]);
      accepted++;
      onAccepted();
    });
    const config: CascadeCampaignConfig = {
      contacts,
      whatsapp: {
        baseUrl: sandbox.urls.whatsappMessages,
        phoneNumberId: whatsapp.phoneNumberId,
        accessToken: whatsapp.accessToken,
      },
      smsRu: { baseUrl: sandbox.urls.smsRu, apiId: smsRu.apiId },
      smtp: { host: sandbox.urls.smtp.host, port: sandbox.urls.smtp.port, user: smtp.user, pass: smtp.pass },
      clockOrigin: Date.parse('2026-03-02T10:00:00+03:00'),
      realOrigin: Date.now(),
    };
    const reports: Report[] = [];
    const run = (killAtAccepted?: number) =>
      new Promise<string>((resolve) => {
        runIndex++;
        const child: ChildProcess = fork(campaign, [path, JSON.stringify(config)], {
          cwd: packageRoot,
          execArgv: ['--conditions=omnidealer-source', '--import', 'tsx'],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        onAccepted = () => {
          if (killAtAccepted !== undefined && accepted >= killAtAccepted && child.exitCode === null) child.kill('SIGKILL');
        };
        child.on('message', (report: Report) => reports.push(report));
        child.once('exit', (code, signal) => resolve(signal ?? String(code)));
      });

    // Expected sends: one per channel the contact has, in policy order (nothing is delivered within the hour).
    const expected = new Map<string, number>();
    for (let index = 0; index < contacts; index++) {
      const contact = campaignContact(index);
      if (contact.email) expected.set(`smtp:${contact.email}`, 1);
      if (contact.phone) {
        expected.set(`whatsapp:${contact.phone.slice(1)}`, 1);
        expected.set(`smsRu:${contact.phone.slice(1)}`, 1);
      }
    }
    const random = createSeededRandom(9, 'kills');
    const kills = Array.from({ length: 4 }, (_, index) => Math.floor(((index + random.next()) / 4) * expected.size * 0.9)).sort(
      (a, b) => a - b,
    );
    const started = Date.now();
    for (const killAt of kills) expect(await run(killAt)).toBe('SIGKILL');
    expect(await run()).toBe('0');
    console.info(
      `[cascade crash] ${contacts} contacts, kills after ${kills.join('/')} accepted, ${accepted} accepted in ${Date.now() - started} ms`,
    );

    expect(reports.at(-1)).toEqual({ finished: true });
    expect(reports.filter((report) => report.errors)).toEqual([]);
    const twice = [...received].filter(([, count]) => count > 1).map(([key]) => key);
    console.info(`[cascade crash] ${twice.length} reached the provider twice (in flight at a kill)`);
    // The store's view: exactly one message per contact and channel, each `sent` — the cascade never doubled a step.
    const db = new Database(path, { readonly: true });
    const rows = db
      .prepare(
        `SELECT c.contact_id AS contact, m.channel AS channel, COUNT(*) AS count, MIN(json_extract(m.data, '$.status')) AS status
         FROM messages m JOIN conversations c ON c.id = m.conversation_id GROUP BY c.contact_id, m.channel`,
      )
      .all() as Array<{ contact: string; channel: string; count: number; status: string }>;
    db.close();
    const stored = rows.filter((row) => row.count !== 1 || row.status !== 'sent');
    console.info(`[cascade crash] store: ${rows.length} contact×channel messages, ${stored.length} not exactly one sent`);
    expect(stored).toEqual([]);
    expect(rows).toHaveLength(expected.size);
    // What a SIGKILL can cost, and nothing more: a message the provider accepted while the killed process waited for
    // its answer is still `queued` in the outbox, and the next process resends it (same message id). WhatsApp, SMS.ru
    // and SMTP do not de-duplicate, so the person gets it twice. Each such message reached the provider once in the
    // killed run and once in the run right after it, and there are at most as many as sends in flight at each kill
    // (campaign concurrency 16 + deadline runner concurrency 16).
    for (const key of twice) {
      const runs = runsOf.get(key) ?? [];
      expect(runs, key).toHaveLength(2);
      expect((runs[1] as number) - (runs[0] as number), key).toBe(1);
      expect(runs[0], key).toBeLessThanOrEqual(kills.length);
    }
    expect(twice.length).toBeLessThanOrEqual(kills.length * 32);
    const missed = [...expected.keys()].filter((key) => !received.has(key));
    expect(missed).toEqual([]);
    expect(received.size).toBe(expected.size);
  }, 300_000);
});
