import { createChannelTestHub, createTestServer } from '@omnidealer/core/test';
import { describe, expect, it, vi } from 'vitest';
import tooManyRequests from './__fixtures__/error-too-many-requests.json';
import unauthorized from './__fixtures__/error-unauthorized.json';
import callbackQuery from './__fixtures__/update-callback-query.json';
import start from './__fixtures__/update-message-start.json';
import messageText from './__fixtures__/update-message-text.json';
import { createTelegramChannel } from './telegram-channel.js';
import { createTelegramPoller } from './telegram-poller.js';

const token = '110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const base = `https://api.telegram.org/bot${token}`;
const updatesRoute = `POST ${base}/getUpdates`;
const api = createTestServer({
  [updatesRoute]: { json: { ok: true, result: [] } },
  [`POST ${base}/answerCallbackQuery`]: { json: { ok: true, result: true } },
});

function setup() {
  // No webhookSecret: polling works without one (the channel signs polled updates with an internal secret).
  const channel = createTelegramChannel({ token });
  const testHub = createChannelTestHub(channel);
  const poller = createTelegramPoller({ channel, timeoutSeconds: 25, ...testHub.pollerOptions });
  return { channel, poller, ...testHub };
}

describe('createTelegramPoller', () => {
  it('feeds polled updates through the webhook path and confirms them with the next offset', async () => {
    const { poller, received } = setup();
    api.use(updatesRoute, [
      { json: { ok: true, result: [start, messageText, { update_id: 633291229, poll: { id: '1' } }] } },
      { json: { ok: true, result: [callbackQuery, messageText] } },
    ]);
    expect(await poller.pollOnce()).toBe(3);
    expect(poller.offset).toBe(633291230);
    // The redelivered message is dropped by the hub as a duplicate, as a repeated webhook would be.
    expect(await poller.pollOnce()).toBe(2);
    expect(poller.offset).toBe(633291232);
    expect(received.map((message) => message.metadata?.inboundKind)).toEqual(['start', 'message', 'button_reply']);
    const [first, second] = api.callsTo('/getUpdates');
    expect(first?.json).toEqual({ limit: 100, timeout: 25, allowed_updates: ['message', 'callback_query', 'my_chat_member'] });
    expect(second?.json).toMatchObject({ offset: 633291230 });
  });

  it('retries a 429 after retry_after and a 5xx within one poll', async () => {
    const { poller, received, sleeps } = setup();
    api.use(updatesRoute, [
      { status: 429, json: tooManyRequests },
      { status: 502, text: 'Bad Gateway' },
      { json: { ok: true, result: [messageText] } },
    ]);
    expect(await poller.pollOnce()).toBe(1);
    expect(received).toHaveLength(1);
    expect(sleeps[0]).toBe(5000);
    expect(api.callsTo('/getUpdates')).toHaveLength(3);
  });

  it('keeps the offset before an update the hub failed; a malformed update is skipped and reported', async () => {
    const { channel, errors } = setup();
    const answers = [500, 200];
    const poller = createTelegramPoller({
      channel,
      deliver: async () => new Response(null, { status: answers.shift() ?? 200 }),
      retry: { retries: 0 },
      onError: (error) => errors.push(error),
    });
    api.use(updatesRoute, { json: { ok: true, result: [messageText] } });
    await expect(poller.pollOnce()).rejects.toMatchObject({ retryable: true });
    expect(poller.offset).toBeUndefined();
    await poller.pollOnce();
    expect(poller.offset).toBe(633291229);

    const { poller: strict, errors: reported } = setup();
    api.use(updatesRoute, { json: { ok: true, result: [{ update_id: 5, message: { text: 'no chat' } }, messageText] } });
    expect(await strict.pollOnce()).toBe(1);
    expect(reported).toHaveLength(1);
    expect(strict.offset).toBe(633291229);
  });

  it('the loop stops on a rejected token and on 409 Conflict, and can be stopped', async () => {
    const { poller, errors } = setup();
    api.use(updatesRoute, { status: 401, json: unauthorized });
    poller.start();
    expect(poller.running).toBe(true);
    await vi.waitFor(() => expect(poller.running).toBe(false));
    expect(errors).toEqual([expect.objectContaining({ name: 'AuthError', providerCode: 401 })]);
    expect(JSON.stringify(errors, Object.getOwnPropertyNames(errors[0]))).not.toContain(token.split(':')[1]);

    api.use(updatesRoute, {
      status: 409,
      json: {
        ok: false,
        error_code: 409,
        description:
          "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      },
    });
    poller.start();
    await vi.waitFor(() => expect(poller.running).toBe(false));
    expect(errors[1]).toMatchObject({ statusCode: 409 });

    // An empty long poll returns after Telegram's timeout; here after 5 ms.
    api.use(updatesRoute, { delayMs: 5, json: { ok: true, result: [] } });
    poller.start();
    await vi.waitFor(() => expect(api.callsTo('/getUpdates').length).toBeGreaterThan(4));
    await poller.stop();
    expect(poller.running).toBe(false);
  });
});
