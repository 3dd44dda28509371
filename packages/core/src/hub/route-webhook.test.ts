import { afterEach, describe, expect, it } from 'vitest';
import type { Channel, InboundEvent, WebhookResult } from '../channel.js';
import { WebhookError } from '../errors/webhook-error.js';
import { createOmnidealer } from '../hub.js';
import { createMemoryStore } from '../store/memory-store.js';
import { createTestChannel } from '../test-channel.js';
import { startWebhookServer, type WebhookServer } from '../webhook/webhook-server.js';

/**
 * A channel of the provider `gateway`, one instance per account: a delivery is `{ parts: [{ account, texts }] }`
 * signed with `x-gateway-secret` (one secret for the whole provider app, as WhatsApp's app secret), and each instance
 * keeps the parts of its account — the shape of a WhatsApp delivery with entries for several numbers.
 */
function createGatewayChannel(id: string, account: string, secret = 'app-secret'): Channel {
  type Body = { parts?: Array<{ account: string; texts: string[] }> };
  const read = (body: Uint8Array): Body => JSON.parse(new TextDecoder().decode(body)) as Body;
  return {
    ...createTestChannel({ id, kind: 'gateway' }),
    accountId: account,
    provider: 'gateway',
    claimWebhook(request) {
      const accounts = (read(request.body).parts ?? []).map((part) => part.account);
      return { mine: accounts.includes(account), others: accounts.filter((other) => other !== account) };
    },
    async parseWebhook(request): Promise<WebhookResult> {
      if (request.headers.get('x-gateway-secret') !== secret)
        throw new WebhookError({ channel: 'gateway', kind: 'signature', message: 'gateway: bad signature' });
      const events: InboundEvent[] = [];
      for (const part of read(request.body).parts ?? []) {
        if (part.account !== account) continue;
        for (const text of part.texts)
          events.push({
            type: 'inbound',
            providerMessageId: `${part.account}:${text}`,
            from: '+79161234567',
            content: { type: 'text', text },
            kind: 'message',
            at: 1_700_000_000_000,
          });
      }
      return { events };
    },
  };
}

function delivery(parts: Array<{ account: string; texts: string[] }>, secret = 'app-secret'): Request {
  return new Request('https://crm.example/hooks/gateway', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-gateway-secret': secret },
    body: JSON.stringify({ parts }),
  });
}

function setup(channels: Channel[] = [createGatewayChannel('north', '1000001'), createGatewayChannel('south', '1000002')]) {
  const lines: string[] = [];
  const logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (fields: object, message: string) => lines.push(`${message} ${JSON.stringify(fields)}`),
    error: (fields: object, message: string) => lines.push(`${message} ${JSON.stringify(fields)}`),
  };
  const hub = createOmnidealer({ channels, store: createMemoryStore(), logger });
  const received: string[] = [];
  const unrouted: unknown[] = [];
  const rejected: unknown[] = [];
  hub.on('message.received', ({ message }) => received.push(`${message.channel}:${JSON.stringify(message.content)}`));
  hub.on('webhook.unrouted', (event) => unrouted.push(event));
  hub.on('webhook.rejected', (event) => rejected.push(event));
  return { hub, received, unrouted, rejected, lines };
}

describe('hub.handleWebhook on a provider route', () => {
  it('splits one delivery carrying two accounts: each channel applies its own part', async () => {
    const { hub, received, unrouted } = setup();
    const response = await hub.handleWebhook(
      'gateway',
      delivery([
        { account: '1000001', texts: ['на север'] },
        { account: '1000002', texts: ['на юг'] },
      ]),
    );
    expect(response.status).toBe(200);
    expect(received).toEqual(['north:{"type":"text","text":"на север"}', 'south:{"type":"text","text":"на юг"}']);
    expect(unrouted).toEqual([]);
  });

  it('routes separate deliveries to the account each names', async () => {
    const { hub, received } = setup();
    expect((await hub.handleWebhook('gateway', delivery([{ account: '1000002', texts: ['раз'] }]))).status).toBe(200);
    expect((await hub.handleWebhook('gateway', delivery([{ account: '1000001', texts: ['два'] }]))).status).toBe(200);
    expect(received).toEqual(['south:{"type":"text","text":"раз"}', 'north:{"type":"text","text":"два"}']);
  });

  it('refuses a delivery for an unknown account with 404: nothing applied, logged masked, webhook.unrouted', async () => {
    const { hub, received, unrouted, lines } = setup();
    const response = await hub.handleWebhook('gateway', delivery([{ account: '79169876543', texts: ['чужое'] }]));
    expect(response.status).toBe(404);
    expect(received).toEqual([]);
    expect(unrouted).toEqual([{ provider: 'gateway', accounts: ['…6543'], status: 404 }]);
    expect(lines).toEqual(['gateway: webhook delivery for no channel of this hub refused {"accounts":["…6543"],"status":404}']);
    expect(lines.join('\n')).not.toContain('79169876543');
  });

  it('applies the known part of a mixed delivery, refuses the unknown part, and answers 200', async () => {
    const { hub, received, unrouted } = setup();
    const response = await hub.handleWebhook(
      'gateway',
      delivery([
        { account: '1000001', texts: ['своё'] },
        { account: '1000999', texts: ['чужое'] },
      ]),
    );
    expect(response.status).toBe(200);
    expect(received).toEqual(['north:{"type":"text","text":"своё"}']);
    expect(unrouted).toEqual([{ provider: 'gateway', accounts: ['…0999'], status: 200 }]);
  });

  it('refuses the whole delivery when one owner refuses its signature: nothing applied, 401', async () => {
    const { hub, received, rejected } = setup([
      createGatewayChannel('north', '1000001'),
      createGatewayChannel('south', '1000002', 'another-app-secret'),
    ]);
    const response = await hub.handleWebhook(
      'gateway',
      delivery([
        { account: '1000001', texts: ['а'] },
        { account: '1000002', texts: ['б'] },
      ]),
    );
    expect(response.status).toBe(401);
    expect(received).toEqual([]);
    expect(rejected).toEqual([{ channel: 'south', status: 401, reason: 'gateway: bad signature' }]);
    const forged = await hub.handleWebhook('gateway', delivery([{ account: '1000001', texts: ['x'] }], 'forged'));
    expect(forged.status).toBe(401);
    expect(received).toEqual([]);
  });

  it('gives a channel id precedence over a provider name, and answers 404 for a route that is neither', async () => {
    // A channel whose id is the provider's name keeps its own route: the other instance's part is not applied.
    const { hub, received } = setup([createGatewayChannel('gateway', '1000001'), createGatewayChannel('south', '1000002')]);
    const response = await hub.handleWebhook(
      'gateway',
      delivery([
        { account: '1000001', texts: ['своё'] },
        { account: '1000002', texts: ['не сюда'] },
      ]),
    );
    expect(response.status).toBe(200);
    expect(received).toEqual(['gateway:{"type":"text","text":"своё"}']);
    expect((await hub.handleWebhook('viber', delivery([]))).status).toBe(404);
  });

  it('warns once, at construction, when a channel id hides the provider route from the other instances', async () => {
    const { hub, lines } = setup([createGatewayChannel('gateway', '1000001'), createGatewayChannel('south', '1000002')]);
    const warning = /^gateway: channel id is the provider name "gateway", so \/hooks\/gateway is this channel's route/;
    expect(lines.filter((line) => warning.test(line))).toHaveLength(1);
    expect(lines[0]).toContain('{"channel":"gateway","hidden":["south"]}');
    await hub.handleWebhook('gateway', delivery([{ account: '1000001', texts: ['ещё раз'] }]));
    expect(lines.filter((line) => warning.test(line))).toHaveLength(1);
  });

  it('does not warn when the provider-named channel is the only one, or no channel takes a provider name', () => {
    expect(setup([createGatewayChannel('gateway', '1000001')]).lines).toEqual([]);
    expect(setup().lines).toEqual([]);
    // A channel named after a provider only hides instances that could share its route (they claim deliveries).
    const plain = { ...createTestChannel({ id: 'sms-north', kind: 'sms' }), provider: 'sms' };
    expect(setup([createTestChannel({ id: 'sms', kind: 'sms' }), plain]).lines).toEqual([]);
  });

  it('keeps the per-channel routes of provider instances working', async () => {
    const { hub, received } = setup();
    expect((await hub.handleWebhook('south', delivery([{ account: '1000002', texts: ['напрямую'] }]))).status).toBe(200);
    expect(received).toEqual(['south:{"type":"text","text":"напрямую"}']);
  });

  it('leaves channels without claimWebhook off the provider route', async () => {
    const plain = createTestChannel({ id: 'sms-north', kind: 'sms' });
    const { hub } = setup([plain]);
    expect((await hub.handleWebhook('sms', plain.inboundWebhook('+79161234567', 'x'))).status).toBe(404);
  });
});

describe('createNodeWebhookRouter: /hooks/<provider>', () => {
  let server: WebhookServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves /hooks/<provider> for every instance, beside /hooks/<channel id>', async () => {
    const { hub, received } = setup();
    server = await startWebhookServer({ hub });
    const post = async (path: string, request: Request) =>
      fetch(`${server?.url}${path}`, { method: 'POST', headers: request.headers, body: await request.text() });
    expect((await post('/hooks/gateway', delivery([{ account: '1000002', texts: ['общий'] }]))).status).toBe(200);
    expect((await post('/hooks/north', delivery([{ account: '1000001', texts: ['свой'] }]))).status).toBe(200);
    expect((await post('/hooks/gateway', delivery([{ account: '1000404', texts: ['?'] }]))).status).toBe(404);
    expect((await post('/hooks/other', delivery([]))).status).toBe(404);
    expect(received).toEqual(['south:{"type":"text","text":"общий"}', 'north:{"type":"text","text":"свой"}']);
  });
});
