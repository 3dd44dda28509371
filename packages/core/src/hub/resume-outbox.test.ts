import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import { createOmnidealer } from '../hub.js';
import { createMemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/store.js';
import { createTestChannel } from '../test-channel.js';
import { crashedOutbox } from '../testing/crashed-outbox.js';
import { storeNamespaces } from './store-namespaces.js';

const fastRetry = { minTimeoutMs: 1, maxTimeoutMs: 2, jitter: false, sleep: async () => {} };
const start = Date.parse('2026-03-01T09:00:00Z');

describe('hub.resumeOutbox on several machines at once', () => {
  it("leaves a message another process holds, and takes it over once that claim's lease ran out", async () => {
    const store = createMemoryStore();
    const clock = createManualClock(start + 600_000);
    await crashedOutbox(store, 1, start);
    await store.putRecord(storeNamespaces.outboxClaim, 'msg-00', { token: 'resume_dead', until: clock.now() + 1_000 });
    const channel = createTestChannel({ id: 'sms', kind: 'sms' });
    const hub = createOmnidealer({ channels: [channel], store, clock, retry: fastRetry });
    expect(await hub.resumeOutbox()).toEqual([]);
    expect(channel.sent).toEqual([]);
    expect(await store.getRecord(storeNamespaces.outboxClaim, 'msg-00')).toEqual({
      token: 'resume_dead',
      until: clock.now() + 1_000,
    });
    clock.advance(1_000);
    expect((await hub.resumeOutbox({ claimMs: 5_000 })).map((message) => [message.id, message.status])).toEqual([
      ['msg-00', 'sent'],
    ]);
    expect(channel.sent.map((message) => message.id)).toEqual(['msg-00']);
    expect(await store.listRecords(storeNamespaces.outboxClaim)).toEqual([]);
  });

  it('drops the claim a process left when it died after finishing its message, once the lease ran out', async () => {
    const store = createMemoryStore();
    const clock = createManualClock(start + 600_000);
    const [finishedId = '', queuedId = ''] = await crashedOutbox(store, 2, start);
    const finished = await store.getMessage(finishedId);
    await store.saveMessage({ ...(finished as NonNullable<typeof finished>), status: 'sent', providerMessageId: 'p-1' });
    // Both claims left behind by dead processes; the one on the queued message is still within its lease.
    await store.putRecord(storeNamespaces.outboxClaim, finishedId, { token: 'resume_dead', until: clock.now() - 1 });
    await store.putRecord(storeNamespaces.outboxClaim, queuedId, { token: 'resume_busy', until: clock.now() + 60_000 });
    const channel = createTestChannel({ id: 'sms', kind: 'sms' });
    const hub = createOmnidealer({ channels: [channel], store, clock, retry: fastRetry });
    expect(await hub.resumeOutbox()).toEqual([]);
    expect(channel.sent).toEqual([]);
    expect((await store.listRecords(storeNamespaces.outboxClaim)).map((record) => record.key)).toEqual([queuedId]);
  });

  it('a message another machine finished between the list and the claim is not sent again', async () => {
    const base = createMemoryStore();
    const clock = createManualClock(start + 600_000);
    await crashedOutbox(base, 1, start);
    const channelA = createTestChannel({ id: 'sms', kind: 'sms' });
    const hubA = createOmnidealer({ channels: [channelA], store: base, clock, retry: fastRetry });
    // Machine B reads the outbox, then machine A resumes and finishes the message before B claims it.
    const store: Store = {
      ...base,
      async listQueuedMessages(limit) {
        const listed = await base.listQueuedMessages(limit);
        await hubA.resumeOutbox();
        return listed;
      },
    };
    const channelB = createTestChannel({ id: 'sms', kind: 'sms' });
    const hubB = createOmnidealer({ channels: [channelB], store, clock, retry: fastRetry });
    expect(await hubB.resumeOutbox()).toEqual([]);
    expect(channelA.sent.map((message) => message.id)).toEqual(['msg-00']);
    expect(channelB.sent).toEqual([]);
  });
});
