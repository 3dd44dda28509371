import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createOmnidealer } from '@omnidealer/core';
import { createTestChannel } from '@omnidealer/core/test';
import { afterAll, describe, expect, it } from 'vitest';
import { providerIdOf } from './__fixtures__/provider-id.js';
import { createSqliteStore } from './sqlite-store.js';

const campaign = fileURLToPath(new URL('./__fixtures__/hub-campaign.ts', import.meta.url));
const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'omnidealer-hub-crash-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

type Report = { received?: string; contactId?: string; handled?: string; failed?: string; code?: string; finished?: boolean };

describe('hub on the SQLite store, killed with SIGKILL mid-campaign', () => {
  it('reaches every contact with one message: no one missed, no second message to anyone; the provider statuses reconcile every interrupted send', async () => {
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
            else child.send({ ack: report.received });
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
    const interrupted: string[] = [];
    for (const [contactId, ids] of received) {
      const [id] = [...ids] as [string];
      const message = await store.getMessage(id);
      expect(message?.status, contactId).toBe('sent');
      if (message?.metadata?.unconfirmed) {
        // A kill cut its provider call short: recorded sent at most once, without the provider's id.
        expect(message.providerMessageId, contactId).toBeUndefined();
        expect(message.metadata.interrupted, contactId).toBe(true);
        interrupted.push(id);
      } else {
        expect(message?.providerMessageId, contactId).toBe(providerIdOf(id));
      }
    }
    // Each kill came while a provider call was in flight (the channel waits for the parent's acknowledgement).
    expect(interrupted.length).toBe(kills.length);

    // The provider's statuses, which name our message id as WhatsApp's biz_opaque_callback_data does, reach a hub on
    // the same file: every message is matched, the interrupted ones by our id, which fills in the provider's id.
    const channel = createTestChannel({ id: 'whatsapp', kind: 'whatsapp' });
    const hub = createOmnidealer({ channels: [channel], store });
    const reconciled: string[] = [];
    const unmatched: string[] = [];
    hub.on('message.reconciled', ({ message }) => reconciled.push(message.id));
    hub.on('message.status.unmatched', ({ providerMessageId }) => unmatched.push(providerMessageId));
    const at = Date.now();
    for (const status of ['sent', 'delivered'] as const)
      for (const [, ids] of received) {
        const [id] = [...ids] as [string];
        const response = await hub.handleWebhook(
          'whatsapp',
          channel.statusWebhook(providerIdOf(id), status, at, { messageId: id }),
        );
        expect(response.status).toBe(200);
      }
    expect(unmatched).toEqual([]);
    expect(reconciled.sort()).toEqual([...interrupted].sort());
    for (const [contactId, ids] of received) {
      const [id] = [...ids] as [string];
      const message = await store.getMessage(id);
      expect(message, contactId).toMatchObject({ status: 'delivered', providerMessageId: providerIdOf(id) });
      expect(message?.metadata?.unconfirmed, contactId).toBeUndefined();
      if (interrupted.includes(id)) expect(message?.metadata, contactId).toMatchObject({ interrupted: true, reconciled: true });
    }
    // Still no second message to anyone: reconciling sends nothing.
    expect(channel.sent).toEqual([]);
    await hub.shutdown();
    await store.close();
  }, 180_000);
});
