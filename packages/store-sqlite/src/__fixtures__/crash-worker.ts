// A child process for the crash tests. `write <path> <count>`: accepts one message and schedules one job per contact,
// reporting each contact over IPC once both are committed; resumes where a killed run stopped.
// `claim <path> <worker>`: after the parent says go, leases due jobs in small random batches until none are left.
// `increment <path> <worker>`: after go, adds 300 entries to one shared record with updateRecord, one at a time.
// `identify <path> <worker>`: after go, adds 150 identities to one shared contact with updateContact, one at a time.
// `converse <path> <worker>`: after go, opens a conversation for each of 100 contacts (a upwards, b downwards) and
// counts an unread message on it.
import { createId } from '@omnidealer/core/provider-utils';
import { createSqliteStore } from '../sqlite-store.js';

const [mode, path, argument] = process.argv.slice(2);
if (!path || !process.send)
  throw new Error('usage: crash-worker.ts write|claim|increment|identify|converse <path> <count|worker> (forked with IPC)');
const send = (message: unknown) => new Promise<void>((resolve) => process.send?.(message, () => resolve()));
const store = createSqliteStore({ path, busyTimeoutMs: 30_000 });
/** Tells the parent this worker is loaded, then waits for its go: racers loaded at different speeds start together. */
async function readyForGo(): Promise<void> {
  const go = new Promise<void>((resolve) => process.once('message', () => resolve()));
  await send({ ready: true });
  await go;
}

if (mode === 'write') {
  const count = Number(argument);
  for (let index = 0; index < count; index++) {
    const contactId = `contact-${index}`;
    // The outbox order of the hub: claim the idempotency key, store the accepted message, then schedule its deadline.
    const fresh = createId('msg');
    const messageId = (await store.claimIdempotencyKey(`campaign-1:${contactId}`, fresh)) ?? fresh;
    if (!(await store.getMessage(messageId))) {
      await store.saveMessage({
        id: messageId,
        conversationId: `conv-${index}`,
        contactId,
        direction: 'outbound',
        channel: 'whatsapp',
        content: { type: 'text', text: `Здравствуйте, ${contactId}!` },
        status: 'queued',
        idempotencyKey: `campaign-1:${contactId}`,
        createdAt: index,
        updatedAt: index,
      });
    }
    const jobId = `deadline-${contactId}`;
    if (!(await store.getJob(jobId))) {
      await store.scheduleJob({
        id: jobId,
        kind: 'cascade.step',
        runAt: index,
        payload: { messageId },
        status: 'pending',
        attempts: 0,
      });
    }
    await send({ committed: index });
  }
  await send({ finished: true });
} else if (mode === 'claim') {
  await readyForGo();
  for (;;) {
    const jobs = await store.claimDueJobs(Number.MAX_SAFE_INTEGER - 10 ** 9, 1 + Math.floor(Math.random() * 4), 10 ** 9);
    if (jobs.length === 0) break;
    await send({ worker: argument, claimed: jobs.map((job) => job.id) });
    // Pause like a worker running its steps would, so a process that started late still gets to race.
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await send({ finished: true });
} else if (mode === 'increment') {
  await readyForGo();
  for (let index = 0; index < 300; index++) {
    await store.updateRecord<{ count: number; last: string[] }>('campaign', 'spend', (current) => ({
      count: (current?.count ?? 0) + 1,
      last: [...(current?.last ?? []).slice(-9), `${argument}-${index}`],
    }));
    // Yield now and then, so the other process's updates interleave with these.
    if (index % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await send({ finished: true });
} else if (mode === 'identify') {
  await readyForGo();
  for (let index = 0; index < 150; index++) {
    await store.updateContact('contact-1', (current) => ({
      ...(current ?? { id: 'contact-1' }),
      identities: { ...current?.identities, [`${argument}-${index}`]: `${argument}:${index}` },
    }));
    // Pause now and then, as a hub between webhooks would, so both processes are still writing when the other starts.
    if (index % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await send({ finished: true });
} else if (mode === 'converse') {
  await readyForGo();
  // a goes up and b down the same contacts, so they meet in the middle whichever starts first.
  for (let step = 0; step < 100; step++) {
    const index = argument === 'a' ? step : 99 - step;
    const opened = await store.openConversation(`contact-${index}`, 'whatsapp', undefined, (newest) =>
      newest
        ? undefined
        : {
            id: `conv-${argument}-${index}`,
            contactId: `contact-${index}`,
            channel: 'whatsapp',
            status: 'open',
            handler: 'bot',
            assignments: [],
            unreadCount: 0,
            createdAt: index,
            updatedAt: index,
          },
    );
    await store.updateConversation(opened!.id, (current) => current && { ...current, unreadCount: current.unreadCount + 1 });
    // A pause between contacts: SQLite's busy wait lets a process that loops on the write lock take it again and
    // again, so on a loaded machine one racer could otherwise finish all 100 before the other gets a turn.
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (step % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await send({ finished: true });
}
await store.close();
process.disconnect();
