import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createManualClock, type ManualClock } from '@omnidealer/core';
import { type Sandbox, signWhatsAppPayload } from '@omnidealer/sandbox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationView, ThreadView } from './inbox-views.js';
import { type Inbox, startInbox } from './server.js';

const start = Date.parse('2026-03-02T09:00:00Z');
const customer = '+79161234567';
let clock: ManualClock;
let inbox: Inbox;
/** The showroom «Север» (WhatsApp and Avito) and the service centre «Юг» (WhatsApp): each its own sandbox. */
let north: Sandbox;
let south: Sandbox;

/** Calls the API as an operator (`x-operator`): Анна of «Север» unless told. */
async function call<T = any>(
  path: string,
  init: { method?: string; body?: unknown; as?: string } = {},
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${inbox.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json', 'x-operator': init.as ?? 'anna' },
    ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function list(queue = 'all', as = 'anna'): Promise<ConversationView[]> {
  return (await call<{ conversations: ConversationView[] }>(`/api/conversations?queue=${queue}`, { as })).body.conversations;
}

/** The chat of one channel kind (`whatsapp`, `avito`) in Анна's list. */
async function byChannel(channel: string): Promise<ConversationView> {
  const found = (await list()).find((conversation) => conversation.channelKind === channel);
  if (!found) throw new Error(`no ${channel} conversation`);
  return found;
}

/** The bot→operator rule runs in an event listener: wait until its assignment is stored. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('condition not reached');
}

beforeEach(async () => {
  clock = createManualClock(start);
  inbox = await startInbox({ seed: 7, clock, tickMs: 60_000 });
  north = inbox.sandboxes.north!;
  south = inbox.sandboxes.south!;
});

afterEach(async () => {
  await inbox.close();
});

describe('inbox API', () => {
  it('lists WhatsApp and Avito chats with unread counts, the listing and a live first-response timer', async () => {
    await north.whatsapp.inbound({ from: customer, name: 'Иван', text: 'Здравствуйте' });
    clock.advance(30_000);
    const avito = await north.avito.inbound({ text: 'Ещё продаётся?', buyerName: 'Мария' });
    await north.avito.inbound({ chatId: avito.chatId, text: 'И торг возможен?' });
    const item = north.avito.chats().get(avito.chatId)!.item;

    const conversations = await list();
    expect(conversations.map((conversation) => [conversation.channel, conversation.unreadCount])).toEqual([
      ['avito-north', 2],
      ['whatsapp-north', 1],
    ]);
    const avitoView = conversations[0]!;
    expect(avitoView.listing?.title).toBe(item.title);
    expect(avitoView.listing?.price?.replace(/\D/g, '')).toBe(String(item.price));
    expect(avitoView.contact.name).toBe('Мария');
    expect(conversations[1]!.contact.phone).not.toContain('1234567');

    clock.advance(95_000);
    const later = await list();
    expect(later.find((c) => c.channelKind === 'whatsapp')!.timer).toEqual({ waitingMs: 125_000, overTarget: true });
    expect(later.find((c) => c.channelKind === 'avito')!.timer).toEqual({ waitingMs: 95_000, overTarget: false });
  });

  it('sends a canned reply filled from the listing; the sandbox receives that exact text and the timer stops', async () => {
    const avito = await north.avito.inbound({ text: 'Ещё продаётся?', buyerName: 'Мария' });
    const item = north.avito.chats().get(avito.chatId)!.item;
    const conversation = await byChannel('avito');
    const thread = (await call<ThreadView>(`/api/conversations/${conversation.id}`)).body;
    const reply = thread.cannedReplies.find((candidate) => candidate.id === 'in_stock')!;
    expect(reply.missing).toEqual([]);
    expect(reply.text).toContain(item.title);
    expect(reply.text).toContain(conversation.listing!.price!);
    expect(reply.text.startsWith('Здравствуйте, Мария! ')).toBe(true);

    clock.advance(40_000);
    const sent = await call(`/api/conversations/${conversation.id}/messages`, {
      method: 'POST',
      body: { text: reply.text, sentBy: 'anna' },
    });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ direction: 'outbound', status: 'sent', sentBy: 'anna', text: reply.text });
    const outgoing = north.avito
      .chats()
      .get(avito.chatId)!
      .messages.filter((message) => message.direction === 'out');
    expect(outgoing.map((message) => message.content)).toEqual([{ text: reply.text }]);
    expect((await byChannel('avito')).timer).toBeUndefined();

    const sla = (await call('/api/sla')).body;
    expect(sla.byResponder.anna).toMatchObject({ answered: 1, medianFirstResponseMs: 40_000, missed: 0 });
  });

  it('moves a chat to the operators’ queue only when the customer presses "call an operator"', async () => {
    await north.whatsapp.inbound({ from: customer, name: 'Иван', text: 'Позовите оператора' });
    await north.avito.inbound({ text: 'оператор!' });
    await north.whatsapp.inbound({ from: customer, button: { text: 'Записаться на тест-драйв', payload: 'TEST_DRIVE' } });
    // Let the event listener run (it would assign within a few turns of the event loop).
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect((await list('operators')).length).toBe(0);
    expect((await list('bot')).length).toBe(2);

    await north.whatsapp.inbound({ from: customer, button: { text: 'Позвать оператора', payload: 'CALL_OPERATOR' } });
    const queue = await until(
      () => list('operators'),
      (conversations) => conversations.length > 0,
    );
    expect(queue.map((conversation) => [conversation.channelKind, conversation.handler, conversation.department])).toEqual([
      ['whatsapp', 'operator', 'sales'],
    ]);
    expect(queue[0]!.assignments).toEqual([
      { at: start, handler: 'operator', department: 'sales', by: 'bot', note: 'the customer pressed "call an operator"' },
    ]);
    expect((await list('bot')).map((conversation) => conversation.channelKind)).toEqual(['avito']);
  });

  it('hands a chat off to another operator and a department, keeping the history', async () => {
    await north.whatsapp.inbound({ from: customer, button: { text: 'Позвать оператора', payload: 'CALL_OPERATOR' } });
    const conversation = await until(
      () => byChannel('whatsapp'),
      (view) => view.handler === 'operator',
    );
    clock.advance(1000);
    const toBoris = await call<ConversationView>(`/api/conversations/${conversation.id}/assign`, {
      method: 'POST',
      body: { assignee: 'boris', by: 'anna', note: 'knows this car' },
    });
    expect(toBoris.status).toBe(200);
    expect(toBoris.body).toMatchObject({ assignee: 'boris', department: 'sales', handler: 'operator', responder: 'boris' });
    clock.advance(1000);
    const toCredit = await call<ConversationView>(`/api/conversations/${conversation.id}/assign`, {
      method: 'POST',
      body: { department: 'credit', by: 'boris' },
      as: 'boris',
    });
    expect(toCredit.body.assignee).toBeUndefined();
    expect(toCredit.body.assignments.map((entry) => [entry.at - start, entry.by, entry.assignee, entry.department])).toEqual([
      [0, 'bot', undefined, 'sales'],
      [1000, 'anna', 'boris', 'sales'],
      [2000, 'boris', undefined, 'credit'],
    ]);
    expect(
      (await call(`/api/conversations/${conversation.id}/assign`, { method: 'POST', body: { assignee: 'nobody', by: 'anna' } }))
        .status,
    ).toBe(400);
  });

  it('offers WhatsApp templates once the 24 h window is closed and says why', async () => {
    await north.whatsapp.inbound({ from: customer, name: 'Иван', text: 'Здравствуйте' });
    const conversation = await byChannel('whatsapp');
    const open = (await call<ThreadView>(`/api/conversations/${conversation.id}`)).body;
    expect(open.replyBlocked).toBeUndefined();
    expect(open.templates).toEqual([]);
    expect(
      (
        await call(`/api/conversations/${conversation.id}/messages`, {
          method: 'POST',
          body: { template: 'follow_up', sentBy: 'anna' },
        })
      ).status,
    ).toBe(409);

    clock.advance(24 * 3_600_000 + 60_000);
    const closed = (await call<ThreadView>(`/api/conversations/${conversation.id}`)).body;
    expect(closed.replyBlocked?.reason).toBe('template_required');
    expect(closed.replyBlocked?.detail).toContain('window closed');
    expect(closed.templates.map((template) => [template.name, template.params])).toEqual([
      ['follow_up', ['Иван']],
      ['call_back', ['Иван']],
    ]);

    const text = await call(`/api/conversations/${conversation.id}/messages`, {
      method: 'POST',
      body: { text: 'Добрый день', sentBy: 'anna' },
    });
    expect(text.status).toBe(409);
    expect(text.body.error.code).toBe('window_closed');
    expect(north.whatsapp.messages()).toEqual([]);

    const template = await call(`/api/conversations/${conversation.id}/messages`, {
      method: 'POST',
      body: { template: 'follow_up', sentBy: 'anna' },
    });
    expect(template.status).toBe(201);
    const [sent] = north.whatsapp.messages();
    expect(sent?.request).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '79161234567',
      type: 'template',
      template: {
        name: 'follow_up',
        language: { code: 'ru' },
        components: [{ type: 'body', parameters: [{ type: 'text', text: 'Иван' }] }],
      },
      // Our message id, echoed in its status webhooks (reconciles a send whose answer was lost).
      biz_opaque_callback_data: `omnidealer:${template.body.id}`,
    });
  });

  it('marks a chat read (and tells WhatsApp)', async () => {
    const inbound = await north.whatsapp.inbound({ from: customer, text: 'Здравствуйте' });
    const conversation = await byChannel('whatsapp');
    expect(conversation.unreadCount).toBe(1);
    const read = await call<ConversationView>(`/api/conversations/${conversation.id}/read`, { method: 'POST' });
    expect(read.body.unreadCount).toBe(0);
    expect((await byChannel('whatsapp')).unreadCount).toBe(0);
    expect(north.whatsapp.readMarks()).toEqual([inbound.id]);
  });

  it('answers bad requests with typed errors', async () => {
    await north.avito.inbound({ text: 'Ещё продаётся?' });
    const { id } = await byChannel('avito');
    expect((await call('/api/conversations/conv_missing')).status).toBe(404);
    expect((await call(`/api/conversations/${id}/messages`, { method: 'POST', body: '{not json' })).status).toBe(400);
    expect(
      (await call(`/api/conversations/${id}/messages`, { method: 'POST', body: { text: 'hi', sentBy: 'mallory' } })).status,
    ).toBe(400);
    expect((await call(`/api/conversations/${id}/messages`, { method: 'POST', body: { sentBy: 'anna' } })).status).toBe(400);
    expect((await call('/api/conversations?queue=vip')).status).toBe(400);
    expect(
      (await call(`/api/conversations/${id}/messages`, { method: 'POST', body: { text: 'hi', sentBy: 'boris' } })).status,
    ).toBe(403);
    const anonymous = await fetch(`${inbox.url}/api/conversations`);
    expect(anonymous.status).toBe(401);
    // Each Avito account has its own webhook URL; a wrong Avito secret or an unknown channel is refused.
    const hook = (path: string) => fetch(`${inbox.url}${path}`, { method: 'POST', body: '{}' });
    expect((await hook('/hooks/avito-north/not-the-secret-at-all')).status).toBe(401);
    expect((await hook('/hooks/avito-south/anything')).status).toBe(404);
    expect((await call('/api/simulate', { method: 'POST', body: { customer: 'maria', callOperator: true } })).status).toBe(400);
  });

  it('streams hub events and timer ticks to pages over SSE', async () => {
    const controller = new AbortController();
    const response = await fetch(`${inbox.url}/api/events?operator=anna`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    const readUntil = async (needle: string) => {
      while (!received.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        received += value;
      }
    };
    await readUntil('retry:');
    await call('/api/simulate', { method: 'POST', body: { customer: 'ivan', text: 'Добрый день' } });
    await readUntil('event: conversation');
    clock.advance(121_000);
    await inbox.tick();
    await readUntil('event: tick');
    const tick = JSON.parse(received.split('event: tick\ndata: ')[1]!.split('\n')[0]!);
    const [state] = Object.values(tick.conversations) as Array<{ timer: { waitingMs: number; overTarget: boolean } }>;
    expect(state?.timer).toEqual({ waitingMs: 121_000, overTarget: true });
    expect(tick.sla.overall.waitingOverTarget).toBe(1);
    expect(Object.keys(tick.sla.byBranch)).toEqual(['north']);
    controller.abort();
  });

  it('keeps conversations, messages and assignments in the SQLite file across restarts', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'inbox-store-'));
    try {
      const storePath = join(directory, 'inbox.db');
      const first = await startInbox({ seed: 3, clock, storePath, tickMs: 60_000 });
      await first.sandboxes.north!.whatsapp.inbound({
        from: customer,
        name: 'Иван',
        button: { text: 'Позвать оператора', payload: 'CALL_OPERATOR' },
      });
      await until(
        async () => (await first.store.listConversations({ handler: 'operator' })).length,
        (count) => count === 1,
      );
      await first.close();

      const second = await startInbox({ seed: 3, clock, storePath, tickMs: 60_000 });
      try {
        const response = await fetch(`${second.url}/api/conversations?queue=operators`, {
          headers: { 'x-operator': 'anna' },
        });
        const { conversations } = (await response.json()) as { conversations: ConversationView[] };
        expect(
          conversations.map((conversation) => [
            conversation.contact.name,
            conversation.unreadCount,
            conversation.assignments.length,
          ]),
        ).toEqual([['Иван', 1, 1]]);
      } finally {
        await second.close();
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('inbox API of a dealer group (branches «Север» and «Юг»)', () => {
  /** Иван writes to «Север»'s WhatsApp number, Сергей to «Юг»'s: one chat in each branch. */
  async function chatInEachBranch(): Promise<{ northChat: ConversationView; southChat: ConversationView }> {
    await north.whatsapp.inbound({ from: customer, name: 'Иван', text: 'Хочу на тест-драйв' });
    await south.whatsapp.inbound({ from: '+79031112233', name: 'Сергей', text: 'Запишите на ТО' });
    const [northChat] = await list('all', 'anna');
    const [southChat] = await list('all', 'oleg');
    if (!northChat || !southChat) throw new Error('a chat is missing');
    return { northChat, southChat };
  }

  it('takes both branches’ WhatsApp numbers on /hooks/whatsapp and refuses a number of no branch', async () => {
    // One Meta app: both numbers post to one URL, signed with one app secret, told apart by phone_number_id.
    expect(north.credentials.whatsapp.appSecret).toBe(south.credentials.whatsapp.appSecret);
    expect(north.credentials.whatsapp.phoneNumberId).not.toBe(south.credentials.whatsapp.phoneNumberId);
    const fromNorth = await north.whatsapp.inbound({ from: customer, name: 'Иван', text: 'Хочу на тест-драйв' });
    const fromSouth = await south.whatsapp.inbound({ from: '+79031112233', name: 'Сергей', text: 'Запишите на ТО' });
    for (const { deliveries } of [fromNorth, fromSouth]) {
      expect(deliveries.map(({ url, status }) => ({ url, status }))).toEqual([
        { url: `${inbox.url}/hooks/whatsapp`, status: 200 },
      ]);
    }
    /** Every chat the group supervisor sees: its branch, number, customer and last message. */
    const chats = async () =>
      (await list('all', 'irina'))
        .map((view) => ({ branch: view.branchId, channel: view.channel, name: view.contact.name, text: view.lastMessage?.text }))
        .sort((a, b) => a.channel.localeCompare(b.channel));
    const expected = [
      { branch: 'north', channel: 'whatsapp-north', name: 'Иван', text: 'Хочу на тест-драйв' },
      { branch: 'south', channel: 'whatsapp-south', name: 'Сергей', text: 'Запишите на ТО' },
    ];
    expect(await chats()).toEqual(expected);

    // The same app's delivery for a number no branch holds: 404 (Meta keeps it and retries), applied nowhere.
    const body = JSON.stringify(fromNorth.payload)
      .replaceAll(north.credentials.whatsapp.phoneNumberId, '100000000000999')
      .replaceAll(fromNorth.id, `${fromNorth.id}-other`)
      .replaceAll('Хочу на тест-драйв', 'Чужой номер');
    const refused = await fetch(`${inbox.url}/hooks/whatsapp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': signWhatsAppPayload(body, north.credentials.whatsapp.appSecret),
      },
      body,
    });
    expect(refused.status).toBe(404);
    expect(await chats()).toEqual(expected);
  });

  it('shows an operator only their branch: another branch’s chat is absent from the list and 404 everywhere', async () => {
    const { northChat, southChat } = await chatInEachBranch();
    expect([northChat.branchId, northChat.channel, southChat.branchId, southChat.channel]).toEqual([
      'north',
      'whatsapp-north',
      'south',
      'whatsapp-south',
    ]);
    expect((await list('all', 'anna')).map((view) => view.id)).toEqual([northChat.id]);
    expect((await list('all', 'oleg')).map((view) => view.id)).toEqual([southChat.id]);

    expect((await call(`/api/conversations/${southChat.id}`, { as: 'anna' })).status).toBe(404);
    expect((await call(`/api/conversations/${northChat.id}`, { as: 'oleg' })).status).toBe(404);
    const reply = await call(`/api/conversations/${southChat.id}/messages`, { method: 'POST', body: { text: 'Здравствуйте' } });
    expect(reply.status).toBe(404);
    expect(south.whatsapp.messages()).toEqual([]);
    expect((await call(`/api/conversations/${southChat.id}/read`, { method: 'POST' })).status).toBe(404);
    expect(
      (await call(`/api/conversations/${southChat.id}/handoff`, { method: 'POST', body: { branchId: 'north' } })).status,
    ).toBe(404);
    expect((await call('/api/conversations?branch=south', { as: 'anna' })).status).toBe(403);
    // Within a branch, a chat goes only to that branch's operators: another branch's is a hand-off.
    expect(
      (await call(`/api/conversations/${northChat.id}/assign`, { method: 'POST', body: { assignee: 'oleg' } })).body.error,
    ).toMatchObject({ code: 'other_branch' });
  });

  it('lets the group supervisor see every branch and filter by one; the SLA report is per branch', async () => {
    const { northChat, southChat } = await chatInEachBranch();
    const all = await call<{ conversations: ConversationView[] }>('/api/conversations', { as: 'irina' });
    expect(all.body.conversations.map((view) => view.id).sort()).toEqual([northChat.id, southChat.id].sort());
    const southOnly = await call<{ conversations: ConversationView[] }>('/api/conversations?branch=south', { as: 'irina' });
    expect(southOnly.body.conversations.map((view) => view.id)).toEqual([southChat.id]);
    expect((await call('/api/conversations?branch=east', { as: 'irina' })).status).toBe(400);
    expect((await call(`/api/conversations/${southChat.id}`, { as: 'irina' })).status).toBe(200);

    clock.advance(60_000);
    await call(`/api/conversations/${northChat.id}/messages`, { method: 'POST', body: { text: 'Записали вас!' } });
    const group = (await call('/api/sla', { as: 'irina' })).body;
    expect(Object.keys(group.byBranch).sort()).toEqual(['north', 'south']);
    expect(group.byBranch.north).toMatchObject({ answered: 1, medianMs: 60_000 });
    expect(group.byBranch.south).toMatchObject({ answered: 0 });
    const annas = (await call('/api/sla', { as: 'anna' })).body;
    expect(Object.keys(annas.byBranch)).toEqual(['north']);
    expect(annas.overall).toMatchObject({ answered: 1 });
    expect((await call('/api/sla?branch=south', { as: 'oleg' })).body.byBranch).toEqual({
      south: expect.objectContaining({ answered: 0 }),
    });
  });

  it('hands a chat off to another branch: it leaves the sender’s list and reaches the other branch with its history', async () => {
    await north.whatsapp.inbound({ from: customer, name: 'Иван', text: 'Стучит подвеска, нужен сервис' });
    await north.whatsapp.inbound({ from: customer, text: 'Можно в субботу?' });
    const chat = await byChannel('whatsapp');
    clock.advance(5_000);

    expect(
      (await call(`/api/conversations/${chat.id}/handoff`, { method: 'POST', body: { branchId: 'south', operatorId: 'boris' } }))
        .status,
    ).toBe(400);
    expect((await call(`/api/conversations/${chat.id}/handoff`, { method: 'POST', body: { branchId: 'east' } })).status).toBe(
      400,
    );
    const moved = await call<ConversationView>(`/api/conversations/${chat.id}/handoff`, {
      method: 'POST',
      body: { branchId: 'south', operatorId: 'oleg', note: 'запись на диагностику' },
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ id: chat.id, branchId: 'south', assignee: 'oleg', handler: 'operator' });
    expect(moved.body.handOffs).toEqual([
      { at: start + 5_000, from: 'north', to: 'south', operatorId: 'oleg', by: 'anna', note: 'запись на диагностику' },
    ]);

    expect(await list('all', 'anna')).toEqual([]);
    expect((await call(`/api/conversations/${chat.id}`, { as: 'anna' })).status).toBe(404);
    expect((await list('all', 'oleg')).map((view) => view.id)).toEqual([chat.id]);
    const thread = (await call<ThreadView>(`/api/conversations/${chat.id}`, { as: 'oleg' })).body;
    expect(thread.messages.map((message) => [message.direction, message.text, message.sentBy])).toEqual([
      ['inbound', 'Стучит подвеска, нужен сервис', undefined],
      ['inbound', 'Можно в субботу?', undefined],
    ]);
    expect(thread.conversation.assignments.at(-1)).toMatchObject({ assignee: 'oleg', by: 'anna' });

    // The customer keeps writing to the number they know: «Юг» answers on that same chat.
    const answer = await call(`/api/conversations/${chat.id}/messages`, {
      method: 'POST',
      body: { text: 'Ждём вас завтра в 10:00' },
      as: 'oleg',
    });
    expect(answer.status).toBe(201);
    expect(north.whatsapp.messages().map((message) => (message.request.text as { body?: string } | undefined)?.body)).toEqual([
      'Ждём вас завтра в 10:00',
    ]);
    // Back is a hand-off too; to the branch it is already in is refused.
    expect(
      (await call(`/api/conversations/${chat.id}/handoff`, { method: 'POST', body: { branchId: 'south' }, as: 'oleg' })).status,
    ).toBe(400);
  });

  it('streams each page only its branch’s chats, and the hand-off to both branches', async () => {
    const controller = new AbortController();
    const open = async (operator: string) => {
      const response = await fetch(`${inbox.url}/api/events?operator=${operator}`, { signal: controller.signal });
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      const stream = { received: '' };
      const until = async (needle: string) => {
        while (!stream.received.includes(needle)) {
          const { value, done } = await reader.read();
          if (done) throw new Error('stream ended');
          stream.received += value;
        }
      };
      await until('retry:');
      return { stream, until };
    };
    expect((await fetch(`${inbox.url}/api/events`)).status).toBe(401);
    const anna = await open('anna');
    const oleg = await open('oleg');
    const { northChat, southChat } = await chatInEachBranch();
    await oleg.until(southChat.id);
    await anna.until(northChat.id);

    await call(`/api/conversations/${northChat.id}/handoff`, { method: 'POST', body: { branchId: 'south' } });
    await anna.until('event: handoff');
    await oleg.until('event: handoff');
    await oleg.until('"branchId":"south"');
    await inbox.tick();
    await anna.until('event: tick');
    await oleg.until('event: tick');
    controller.abort();

    expect(anna.stream.received).not.toContain(southChat.id);
    const olegsTick = JSON.parse(oleg.stream.received.split('event: tick\ndata: ')[1]!.split('\n')[0]!);
    expect(Object.keys(olegsTick.conversations).sort()).toEqual([northChat.id, southChat.id].sort());
    expect(Object.keys(olegsTick.sla.byBranch)).toEqual(['south']);
    const annasTick = JSON.parse(anna.stream.received.split('event: tick\ndata: ')[1]!.split('\n')[0]!);
    expect(annasTick.conversations).toEqual({});
  });
});
