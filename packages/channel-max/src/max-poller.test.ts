import { createChannelTestHub, createTestServer } from '@omnidealer/core/test';
import { describe, expect, it, vi } from 'vitest';
import verifyToken from './__fixtures__/error-verify-token.json';
import botStarted from './__fixtures__/update-bot-started.json';
import callback from './__fixtures__/update-message-callback.json';
import messageCreated from './__fixtures__/update-message-created.json';
import { createMaxChannel } from './max-channel.js';
import { createMaxPoller } from './max-poller.js';

const base = 'https://platform-api2.max.ru';
const updatesRoute = `GET ${base}/updates`;
const api = createTestServer({ [updatesRoute]: { json: { updates: [], marker: 1 } } });

function setup() {
  // No webhookSecret: polling works without one (the channel signs polled updates with an internal secret).
  const channel = createMaxChannel({ token: 'bot-token-for-polling-tests' });
  const testHub = createChannelTestHub(channel);
  const poller = createMaxPoller({ channel, timeoutSeconds: 25, ...testHub.pollerOptions });
  return { channel, poller, ...testHub };
}

describe('createMaxPoller', () => {
  it('feeds polled updates through the webhook path and follows the marker', async () => {
    const { poller, received } = setup();
    api.use(updatesRoute, [
      { json: { updates: [botStarted, messageCreated, { update_type: 'dialog_muted', timestamp: 1 }], marker: 25493970 } },
      { json: { updates: [callback, messageCreated], marker: 25493971 } },
    ]);
    expect(await poller.pollOnce()).toBe(3);
    expect(poller.marker).toBe(25493970);
    // The redelivered message is dropped by the hub as a duplicate, as a repeated webhook would be.
    expect(await poller.pollOnce()).toBe(2);
    expect(poller.marker).toBe(25493971);
    expect(received.map((message) => message.metadata?.inboundKind)).toEqual(['start', 'message', 'button_reply']);
    const [first, second] = api.callsTo('/updates');
    expect(first?.url.searchParams.get('marker')).toBeNull();
    expect(first?.url.searchParams.get('timeout')).toBe('25');
    expect(first?.url.searchParams.get('types')).toBe('message_created,message_callback,bot_started,bot_stopped');
    expect(first?.headers.get('authorization')).toBe('bot-token-for-polling-tests');
    expect(second?.url.searchParams.get('marker')).toBe('25493970');
  });

  it('retries a 429 and a 5xx within one poll', async () => {
    const { poller, received } = setup();
    api.use(updatesRoute, [
      { status: 429, headers: { 'retry-after': '1' }, json: { code: 'too.many.requests', message: 'slow down' } },
      { status: 502, text: 'Bad Gateway' },
      { json: { updates: [messageCreated], marker: 7 } },
    ]);
    expect(await poller.pollOnce()).toBe(1);
    expect(received).toHaveLength(1);
    expect(api.callsTo('/updates')).toHaveLength(3);
  });

  it('does not advance the marker when the hub fails an update; a malformed update is skipped and reported', async () => {
    const { channel, errors } = setup();
    const answers = [500, 200];
    const poller = createMaxPoller({
      channel,
      deliver: async () => new Response(null, { status: answers.shift() ?? 200 }),
      retry: { retries: 0 },
      onError: (error) => errors.push(error),
    });
    api.use(updatesRoute, { json: { updates: [messageCreated], marker: 9 } });
    await expect(poller.pollOnce()).rejects.toMatchObject({ retryable: true });
    expect(poller.marker).toBeUndefined();
    await poller.pollOnce();
    expect(poller.marker).toBe(9);

    const { poller: strict, errors: reported } = setup();
    api.use(updatesRoute, { json: { updates: [{ update_type: 'message_created', timestamp: 1 }, messageCreated], marker: 10 } });
    expect(await strict.pollOnce()).toBe(1);
    expect(reported).toHaveLength(1);
    expect(strict.marker).toBe(10);
  });

  it('the loop stops on a rejected token and can be stopped', async () => {
    const { poller, errors } = setup();
    api.use(updatesRoute, { status: 401, json: verifyToken });
    poller.start();
    expect(poller.running).toBe(true);
    await vi.waitFor(() => expect(poller.running).toBe(false));
    expect(errors).toEqual([expect.objectContaining({ name: 'AuthError', providerCode: 'verify.token' })]);
    expect(api.callsTo('/updates')).toHaveLength(1);

    // An empty long poll returns after MAX's timeout; here after 5 ms.
    api.use(updatesRoute, { delayMs: 5, json: { updates: [], marker: 1 } });
    poller.start();
    await vi.waitFor(() => expect(api.callsTo('/updates').length).toBeGreaterThan(2));
    await poller.stop();
    expect(poller.running).toBe(false);
  });
});
