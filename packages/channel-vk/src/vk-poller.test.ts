import { createChannelTestHub, createTestServer } from '@omnidealer/core/test';
import { describe, expect, it, vi } from 'vitest';
import error5 from './__fixtures__/error-5.json';
import allow from './__fixtures__/event-message-allow.json';
import messageEvent from './__fixtures__/event-message-event.json';
import messageNew from './__fixtures__/event-message-new.json';
import button from './__fixtures__/event-message-new-button.json';
import messageRead from './__fixtures__/event-message-read.json';
import longPollServer from './__fixtures__/long-poll-server.json';
import { createVkChannel } from './vk-channel.js';
import { createVkPoller } from './vk-poller.js';

// Bots Long Poll updates are Callback API events without `secret` (dev.vk.com «Bots Long Poll API»; vk-io's
// PollingTransport); the server answer is vk-io's `GroupsLongPollServer`.
const serverRoute = 'POST https://api.vk.ru/method/groups.getLongPollServer';
const pollRoute = 'GET https://lp.vk.com/whp/229010001';
const api = createTestServer({
  [serverRoute]: { json: longPollServer },
  [pollRoute]: { json: { ts: '2898705', updates: [] } },
});
const unsigned = (event: { secret?: string }) => {
  const { secret: _secret, ...update } = event;
  return update;
};

function setup() {
  // No secret: Long Poll works without one (the channel signs polled updates with an internal secret).
  const channel = createVkChannel({ groupId: 229010001, token: 'vk1.a.polling-token' });
  const testHub = createChannelTestHub(channel);
  const poller = createVkPoller({ channel, waitSeconds: 20, ...testHub.pollerOptions });
  return { channel, poller, ...testHub };
}

describe('createVkPoller', () => {
  it('asks for a server, feeds updates through the webhook path and follows ts', async () => {
    const { poller, received } = setup();
    api.use(pollRoute, [
      { json: { ts: '2898705', updates: [unsigned(allow), unsigned(messageNew), { type: 'message_typing_state', object: {} }] } },
      { json: { ts: '2898707', updates: [unsigned(button), unsigned(messageNew)] } },
    ]);
    expect(await poller.pollOnce()).toBe(3);
    expect(poller.ts).toBe('2898705');
    // The repeated message is dropped by the hub as a duplicate, as a repeated Callback API event would be.
    expect(await poller.pollOnce()).toBe(2);
    expect(received.map((message) => message.metadata?.inboundKind)).toEqual(['start', 'message', 'button_reply']);
    const [server] = api.callsTo('groups.getLongPollServer');
    expect(server?.form).toMatchObject({ group_id: '229010001', access_token: 'vk1.a.polling-token', v: '5.199' });
    const [first, second] = api.callsTo('lp.vk.com');
    expect(Object.fromEntries(first?.url.searchParams ?? [])).toEqual({
      act: 'a_check',
      key: longPollServer.response.key,
      ts: '2898704',
      wait: '20',
    });
    expect(second?.url.searchParams.get('ts')).toBe('2898705');
    expect(api.callsTo('groups.getLongPollServer')).toHaveLength(1);
  });

  it('polled message_event and message_read take the webhook path: a button_reply answered, a read status', async () => {
    const { poller, received, hub } = setup();
    api.use('POST https://api.vk.ru/method/messages.send', { json: { response: 3791 } });
    api.use('POST https://api.vk.ru/method/messages.sendMessageEventAnswer', { json: { response: 1 } });
    const sent = await hub.send({
      channel: 'vk',
      contact: { id: 'c1', identities: { vk: '310550771' } },
      content: { type: 'text', text: 'Записать вас?' },
    });
    api.use(pollRoute, { json: { ts: '2898705', updates: [unsigned(messageEvent), unsigned(messageRead)] } });
    expect(await poller.pollOnce()).toBe(2);
    expect(received.map((message) => message.metadata?.inboundKind)).toEqual(['button_reply']);
    expect((await hub.store.getMessage(sent.id))?.status).toBe('read');
    await vi.waitFor(() => expect(api.callsTo('messages.sendMessageEventAnswer')).toHaveLength(1));
  });

  it('handles failed 1 (new ts), 2 (new key, same ts) and 3 (new key and ts)', async () => {
    const { poller } = setup();
    api.use(serverRoute, [
      { json: longPollServer },
      { json: { response: { ...longPollServer.response, key: 'second-key', ts: '1' } } },
      { json: { response: { ...longPollServer.response, key: 'third-key', ts: '5000' } } },
    ]);
    api.use(pollRoute, [
      { json: { failed: 1, ts: '2900000' } },
      { json: { failed: 2 } },
      { json: { failed: 3 } },
      { json: { ts: '5001', updates: [] } },
    ]);
    expect(await poller.pollOnce()).toBe(0);
    expect(poller.ts).toBe('2900000');
    await poller.pollOnce();
    expect(poller.ts).toBe('2900000');
    await poller.pollOnce();
    expect(poller.ts).toBe('5000');
    await poller.pollOnce();
    const polls = api.callsTo('lp.vk.com').map((call) => [call.url.searchParams.get('key'), call.url.searchParams.get('ts')]);
    expect(polls).toEqual([
      [longPollServer.response.key, '2898704'],
      [longPollServer.response.key, '2900000'],
      ['second-key', '2900000'],
      ['third-key', '5000'],
    ]);
  });

  it('does not advance ts when the hub fails an update; retries a 5xx poll', async () => {
    const { channel } = setup();
    const answers = [500, 200];
    const poller = createVkPoller({
      channel,
      deliver: async () => new Response(null, { status: answers.shift() ?? 200 }),
      retry: { retries: 2, minTimeoutMs: 0, jitter: false, sleep: async () => undefined },
    });
    api.use(pollRoute, [{ status: 502, text: 'Bad Gateway' }, { json: { ts: '9', updates: [unsigned(messageNew)] } }]);
    await expect(poller.pollOnce()).rejects.toMatchObject({ retryable: true });
    expect(poller.ts).toBe('2898704');
    await poller.pollOnce();
    expect(poller.ts).toBe('9');
  });

  it('the loop stops on a rejected token and can be stopped', async () => {
    const { poller, errors } = setup();
    api.use(serverRoute, { json: error5 });
    poller.start();
    expect(poller.running).toBe(true);
    await vi.waitFor(() => expect(poller.running).toBe(false));
    expect(errors).toEqual([expect.objectContaining({ name: 'AuthError', providerCode: 5 })]);

    api.use(serverRoute, { json: longPollServer });
    api.use(pollRoute, { delayMs: 5, json: { ts: '2898704', updates: [] } });
    poller.start();
    await vi.waitFor(() => expect(api.callsTo('lp.vk.com').length).toBeGreaterThan(2));
    await poller.stop();
    expect(poller.running).toBe(false);
  });
});
