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
let child: ChildProcess | undefined;
afterAll(async () => {
  child?.kill('SIGKILL'); // a failed or timed-out run must not leave a campaign process behind
  await sandbox?.stop();
  rmSync(folder, { recursive: true, force: true });
});

// 400 contacts by default keep the suite within budget when CI runs everything at once on 2 cores (1 000 take ~35 s
// alone, 2 000 ~80 s); CASCADE_CRASH_CONTACTS=5000 runs the full figure.
const contacts = Number(process.env.CASCADE_CRASH_CONTACTS ?? 400);
type Report = { campaign?: number; errors?: number; finished?: boolean };

describe('cascade campaign on the SQLite store, killed with SIGKILL at random points', () => {
  it(
    'handles every contact as the policy says (e-mail, then WhatsApp, then SMS): one stored message per channel, no WhatsApp/SMS sent twice, only a send interrupted by a kill unconfirmed',
    async () => {
      const path = join(folder, 'campaign.db');
      sandbox = await startSandbox({ seed: 9, timers: 'manual', behaviour: { whatsapp: { notOnWhatsApp: 0 } } });
      const { whatsapp, smsRu, smtp } = sandbox.credentials;
      // What each provider received, per recipient.
      const received = new Map<string, number>();
      let accepted = 0;
      let onAccepted: () => void = () => undefined;
      sandbox.on('message.accepted', (event) => {
        const key = `${event.provider}:${event.to}`;
        received.set(key, (received.get(key) ?? 0) + 1);
        accepted++;
        onAccepted();
      });
      // The Message-IDs each mailbox got: a mail system drops a repeat of one it already has.
      const mailIds = new Map<string, string[]>();
      sandbox.on('mail.received', (mail) => {
        for (const to of mail.to) mailIds.set(to, [...(mailIds.get(to) ?? []), mail.messageId ?? '']);
      });
      const config: CascadeCampaignConfig = {
        contacts,
        whatsapp: {
          baseURL: sandbox.urls.whatsappMessages,
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
          const worker = fork(campaign, [path, JSON.stringify(config)], {
            cwd: packageRoot,
            execArgv: ['--conditions=omnidealer-source', '--import', 'tsx'],
            stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          });
          onAccepted = () => {
            if (killAtAccepted !== undefined && accepted >= killAtAccepted && worker.exitCode === null) worker.kill('SIGKILL');
          };
          child = worker;
          worker.on('message', (report: Report) => reports.push(report));
          worker.once('exit', (code, signal) => resolve(signal ?? String(code)));
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
      const twice = [...received].filter(([key, count]) => count > 1 && !key.startsWith('smtp:')).map(([key]) => key);
      const mailRepeats = [...mailIds].filter(([, ids]) => ids.length > 1);
      console.info(
        `[cascade crash] ${twice.length} WhatsApp/SMS sends reached the provider twice; ${mailRepeats.length} e-mails were resent with the same Message-ID`,
      );
      // The store's view: exactly one message per contact and channel, each `sent` — the cascade never doubled a step.
      const db = new Database(path, { readonly: true });
      const rows = db
        .prepare(
          `SELECT c.contact_id AS contact, m.channel AS channel, COUNT(*) AS count, MIN(json_extract(m.data, '$.status')) AS status
         FROM messages m JOIN conversations c ON c.id = m.conversation_id GROUP BY c.contact_id, m.channel`,
        )
        .all() as Array<{ contact: string; channel: string; count: number; status: string }>;
      const interruptedRows = db
        .prepare(
          `SELECT c.contact_id AS contact, m.channel AS channel FROM messages m JOIN conversations c ON c.id = m.conversation_id
         WHERE json_extract(m.data, '$.metadata.interrupted') = 1`,
        )
        .all() as Array<{ contact: string; channel: string }>;
      db.close();
      const stored = rows.filter((row) => row.count !== 1 || row.status !== 'sent');
      console.info(`[cascade crash] store: ${rows.length} contact×channel messages, ${stored.length} not exactly one sent`);
      expect(stored).toEqual([]);
      expect(rows).toHaveLength(expected.size);
      // What a SIGKILL can cost, and nothing more. A WhatsApp or SMS send whose provider call had started when the
      // process died may or may not be with the provider, and neither de-duplicates: the next process records it sent,
      // unconfirmed and interrupted (at most once), never calls the provider for it again, and the cascade treats it
      // like any message without a delivery status. An interrupted e-mail is sent again (SMTP accepts only after DATA)
      // with the same Message-ID, so the mailbox keeps one. Nothing else can go missing or repeat.
      expect(twice).toEqual([]);
      for (const [to, ids] of mailIds) expect(new Set(ids).size, to).toBe(1);
      expect(mailRepeats.length).toBeLessThanOrEqual(kills.length * 32);
      const addresses = new Map<string, { phone?: string | undefined; email?: string | undefined }>();
      for (let index = 0; index < contacts; index++) addresses.set(`c-${index}`, campaignContact(index));
      const provider: Record<string, string> = { email: 'smtp', whatsapp: 'whatsapp', sms: 'smsRu' };
      const interrupted = new Set(
        interruptedRows.map(({ contact, channel }) => {
          const address = addresses.get(contact);
          return `${provider[channel]}:${channel === 'email' ? address?.email : address?.phone?.slice(1)}`;
        }),
      );
      const missed = [...expected.keys()].filter((key) => !received.has(key));
      const byProvider = (keys: Iterable<string>) => {
        const counts: Record<string, number> = {};
        for (const key of keys) counts[key.split(':')[0] as string] = (counts[key.split(':')[0] as string] ?? 0) + 1;
        return JSON.stringify(counts);
      };
      console.info(
        `[cascade crash] interrupted by a kill: ${byProvider(interrupted)}; never reached the provider: ${byProvider(missed)}`,
      );
      expect(missed.filter((key) => !interrupted.has(key))).toEqual([]);
      // At most the sends in flight at each kill (campaign concurrency 16 + deadline runner concurrency 16).
      expect(interrupted.size).toBeLessThanOrEqual(kills.length * 32);
      expect([...received.keys()].filter((key) => !expected.has(key))).toEqual([]);
    },
    Math.max(300_000, contacts * 300),
  );
});
