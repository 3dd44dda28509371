import { createHmac, timingSafeEqual } from 'node:crypto';
import { createManualClock } from '@omnidealer/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Sandbox, type StartSandboxOptions, startSandbox } from './sandbox.js';
import { startTestReceiver } from './test-receiver.js';

const start = Date.parse('2026-03-02T09:00:00Z');
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()?.();
});

async function setup(options: Partial<StartSandboxOptions> = {}) {
  const receiver = await startTestReceiver();
  const clock = createManualClock(start);
  const sandbox = await startSandbox({
    seed: 7,
    clock,
    timers: 'manual',
    webhookTargets: { whatsapp: receiver.url('/hooks/whatsapp') },
    ...options,
  });
  stops.push(receiver.close, sandbox.stop);
  return { sandbox, receiver, clock };
}

function send(sandbox: Sandbox, body: unknown, token = sandbox.credentials.whatsapp.accessToken) {
  const { apiVersion, phoneNumberId } = sandbox.credentials.whatsapp;
  return fetch(`${sandbox.urls.whatsapp}/${apiVersion}/${phoneNumberId}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const template = (to: string, name = 'spring_sale') => ({
  messaging_product: 'whatsapp',
  recipient_type: 'individual',
  to,
  type: 'template',
  template: { name, language: { code: 'ru' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Иван' }] }] },
});

describe('WhatsApp Cloud API sandbox', () => {
  it('accepts a template send with the real response shape and a wamid', async () => {
    const { sandbox } = await setup();
    const response = await send(sandbox, template('79161234567'));
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body).toEqual({
      messaging_product: 'whatsapp',
      contacts: [{ input: '79161234567', wa_id: '79161234567' }],
      messages: [{ id: expect.stringMatching(/^wamid\.[A-Za-z0-9+/=]+$/), message_status: 'accepted' }],
    });
    expect(Buffer.from(body.messages[0].id.slice(6), 'base64').toString('latin1')).toContain('79161234567');
  });

  it('normalises a Russian 8-prefixed number into wa_id 7…', async () => {
    const { sandbox } = await setup();
    const body = (await (await send(sandbox, template('89161234567'))).json()) as any;
    expect(body.contacts).toEqual([{ input: '89161234567', wa_id: '79161234567' }]);
  });

  it('answers a wrong token with 401 and code 190', async () => {
    const { sandbox } = await setup();
    const response = await send(sandbox, template('79161234567'), 'EAAwrong');
    expect(response.status).toBe(401);
    const body = (await response.json()) as any;
    expect(body.error).toMatchObject({ type: 'OAuthException', code: 190, message: expect.stringContaining('access token') });
    expect(body.error.fbtrace_id).toMatch(/^A[0-9a-f]+$/);
    expect(sandbox.stats().whatsapp.rejected).toBe(1);
  });

  it('answers a malformed body with 400 and code 100 naming the parameter', async () => {
    const { sandbox } = await setup();
    const response = await send(sandbox, { messaging_product: 'whatsapp', to: '79161234567', type: 'text' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error).toMatchObject({
      code: 100,
      message: '(#100) Invalid parameter',
      error_data: { messaging_product: 'whatsapp', details: "Param text is required for type 'text'" },
    });
    const tooLong = await send(sandbox, {
      messaging_product: 'whatsapp',
      to: '79161234567',
      type: 'text',
      text: { body: 'x'.repeat(4097) },
    });
    expect(((await tooLong.json()) as any).error.error_data.details).toMatch(/^Param text\['body'\]/);
  });

  it('answers an unknown phone number id with code 100 subcode 33', async () => {
    const { sandbox } = await setup();
    const response = await fetch(`${sandbox.urls.whatsapp}/v21.0/123/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sandbox.credentials.whatsapp.accessToken}` },
      body: JSON.stringify(template('79161234567')),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
  });

  it('refuses an unapproved template with 132001 when templates are listed', async () => {
    const { sandbox } = await setup({ behaviour: { whatsapp: { templates: ['booking_reminder'] } } });
    const response = await send(sandbox, template('79161234567', 'nope'));
    expect(response.status).toBe(404);
    expect(((await response.json()) as any).error.code).toBe(132001);
    expect((await send(sandbox, template('79161234567', 'booking_reminder'))).status).toBe(200);
  });

  it('posts signed sent → delivered → read statuses with PMP pricing', async () => {
    const { sandbox, receiver } = await setup({ behaviour: { whatsapp: { outcomes: { '+79161234567': 'read' } } } });
    const { messages } = (await (await send(sandbox, template('79161234567'))).json()) as any;
    expect(receiver.received).toHaveLength(0);
    await sandbox.flush({ all: true });
    expect(receiver.received).toHaveLength(3);
    for (const request of receiver.received) {
      expect(request.path).toBe('/hooks/whatsapp');
      const expected = Buffer.from(
        `sha256=${createHmac('sha256', sandbox.credentials.whatsapp.appSecret).update(request.raw).digest('hex')}`,
      );
      const actual = Buffer.from(String(request.headers['x-hub-signature-256']));
      expect(actual.length === expected.length && timingSafeEqual(actual, expected)).toBe(true);
    }
    const bodies = receiver.json();
    const statuses = bodies.map((body) => body.entry[0].changes[0].value.statuses[0]);
    expect(statuses.map((status) => status.status)).toEqual(['sent', 'delivered', 'read']);
    expect(bodies[0]).toEqual({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: sandbox.credentials.whatsapp.wabaId,
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: {
                  display_phone_number: sandbox.credentials.whatsapp.displayPhoneNumber,
                  phone_number_id: sandbox.credentials.whatsapp.phoneNumberId,
                },
                statuses: [
                  {
                    id: messages[0].id,
                    status: 'sent',
                    timestamp: expect.stringMatching(/^\d{10}$/),
                    recipient_id: '79161234567',
                    pricing: { billable: true, pricing_model: 'PMP', category: 'marketing', type: 'regular' },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    const [sentAt = 0, deliveredAt = 0, readAt = 0] = statuses.map((status) => Number(status.timestamp));
    expect(sentAt).toBeGreaterThanOrEqual(start / 1000);
    expect(deliveredAt).toBeGreaterThanOrEqual(sentAt);
    expect(readAt).toBeGreaterThanOrEqual(deliveredAt);
    expect(sandbox.stats().whatsapp).toMatchObject({ accepted: 1, sent: 1, delivered: 1, read: 1, billable: { marketing: 1 } });
  });

  it('releases statuses only when the manual clock reaches them', async () => {
    const { sandbox, receiver, clock } = await setup({
      behaviour: {
        whatsapp: {
          outcomes: { '79161234567': 'read' },
          delays: { sentMs: [1000, 1000], deliveredMs: [5000, 5000], readMs: [3_600_000, 3_600_000] },
        },
      },
    });
    await send(sandbox, template('79161234567'));
    clock.advance(999);
    expect(await sandbox.flush()).toBe(0);
    clock.advance(1);
    expect(await sandbox.flush()).toBe(1);
    clock.advance(5000);
    await sandbox.flush();
    expect(receiver.received).toHaveLength(2);
    clock.advance(3_600_000);
    await sandbox.flush();
    expect(receiver.json().at(-1).entry[0].changes[0].value.statuses[0]).toMatchObject({
      status: 'read',
      timestamp: String((start + 3_606_000) / 1000),
    });
  });

  it('can deliver read before delivered, and each status twice', async () => {
    const { sandbox, receiver } = await setup({
      behaviour: { whatsapp: { outcomes: { '79161234567': 'read' }, outOfOrder: 1, duplicate: 1 } },
    });
    await send(sandbox, template('79161234567'));
    await sandbox.flush({ all: true });
    const statuses = receiver.json().map((body) => body.entry[0].changes[0].value.statuses[0].status);
    expect(statuses).toEqual(['sent', 'sent', 'read', 'read', 'delivered', 'delivered']);
  });

  it('fails a number that is not on WhatsApp with 131026 and no pricing', async () => {
    const { sandbox, receiver } = await setup({ behaviour: { whatsapp: { outcomes: { '79160000001': 'not_on_whatsapp' } } } });
    await send(sandbox, template('79160000001'));
    await sandbox.flush({ all: true });
    const statuses = receiver.json().map((body) => body.entry[0].changes[0].value.statuses[0]);
    expect(statuses).toEqual([
      {
        id: expect.any(String),
        status: 'failed',
        timestamp: expect.any(String),
        recipient_id: '79160000001',
        errors: [
          {
            code: 131026,
            title: 'Receiver is incapable of receiving this message',
            message: 'Receiver is incapable of receiving this message',
            error_data: { details: 'Message Undeliverable.' },
            href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
          },
        ],
      },
    ]);
    expect(sandbox.stats().whatsapp.failed).toBe(1);
  });

  it('fails a free-form message outside the 24 h window with 131047, and delivers it free inside the window', async () => {
    const { sandbox, receiver, clock } = await setup({ behaviour: { whatsapp: { outcomes: { '79161112233': 'delivered' } } } });
    const text = { messaging_product: 'whatsapp', to: '79161112233', type: 'text', text: { body: 'Здравствуйте!' } };
    await send(sandbox, text);
    await sandbox.flush({ all: true });
    expect(receiver.json()[0].entry[0].changes[0].value.statuses[0]).toMatchObject({
      status: 'failed',
      errors: [{ code: 131047 }],
    });

    await sandbox.whatsapp.inbound({ from: '+79161112233', text: 'Хочу записаться на ТО' });
    clock.advance(60_000);
    await send(sandbox, text);
    await sandbox.flush({ all: true });
    const statuses = receiver
      .json()
      .slice(2)
      .map((body) => body.entry[0].changes[0].value.statuses[0]);
    expect(statuses.map((status) => status.status)).toEqual(['sent', 'delivered']);
    expect(statuses[0].pricing).toEqual({
      billable: false,
      pricing_model: 'PMP',
      category: 'service',
      type: 'free_customer_service',
    });
  });

  it('adds a conversation object under legacy CBP pricing and echoes biz_opaque_callback_data', async () => {
    const { sandbox, receiver } = await setup({
      behaviour: { whatsapp: { pricingModel: 'CBP', outcomes: { '79161234567': 'sent' } } },
    });
    await send(sandbox, { ...template('79161234567'), biz_opaque_callback_data: 'campaign-1' });
    await sandbox.flush({ all: true });
    const status = receiver.json()[0].entry[0].changes[0].value.statuses[0];
    expect(status.pricing).toEqual({ billable: true, pricing_model: 'CBP', category: 'marketing' });
    expect(status.conversation).toEqual({ id: expect.stringMatching(/^[0-9a-f]{32}$/), origin: { type: 'marketing' } });
    expect(status.biz_opaque_callback_data).toBe('campaign-1');
  });

  it('from 1 Oct 2026 a service message inside the window is billable, like a utility template there', async () => {
    const { sandbox, receiver, clock } = await setup({ behaviour: { whatsapp: { outcomes: { '79161112233': 'delivered' } } } });
    clock.advance(Date.parse('2026-10-01T09:00:00Z') - start);
    await sandbox.whatsapp.inbound({ from: '+79161112233', text: 'Хочу записаться на ТО' });
    clock.advance(60_000);
    await send(sandbox, { messaging_product: 'whatsapp', to: '79161112233', type: 'text', text: { body: 'Записали на 10:00' } });
    await sandbox.flush({ all: true });
    const statuses = receiver.json().flatMap((body) => body.entry[0].changes[0].value.statuses ?? []);
    expect(statuses.map((status: { status: string }) => status.status)).toEqual(['sent', 'delivered']);
    expect(statuses[1].pricing).toEqual({ billable: true, pricing_model: 'PMP', category: 'service', type: 'regular' });
    expect(sandbox.stats().whatsapp.billable).toEqual({ marketing: 0, utility: 0, authentication: 0, service: 1 });
  });

  it('marks a message read, with the typing indicator when asked', async () => {
    const { sandbox } = await setup();
    const typing = await send(sandbox, {
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: 'wamid.TYPING=',
      typing_indicator: { type: 'text' },
    });
    expect(typing.status).toBe(200);
    expect(await typing.json()).toEqual({ success: true });
    expect(sandbox.whatsapp.readMarks()).toEqual(['wamid.TYPING=']);
    expect(sandbox.whatsapp.typingIndicators()).toEqual(['wamid.TYPING=']);
    const unknownType = await send(sandbox, {
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: 'wamid.TYPING=',
      typing_indicator: { type: 'audio' },
    });
    expect(unknownType.status).toBe(400);
  });

  it('marks a message read', async () => {
    const { sandbox } = await setup();
    const response = await send(sandbox, { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.ABC=' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true });
    expect(sandbox.whatsapp.readMarks()).toEqual(['wamid.ABC=']);
    const bad = await send(sandbox, { messaging_product: 'whatsapp', status: 'read', message_id: 'nope' });
    expect(bad.status).toBe(400);
  });

  it('uploads media and serves it back', async () => {
    const { sandbox } = await setup();
    const { apiVersion, phoneNumberId, accessToken } = sandbox.credentials.whatsapp;
    const form = new FormData();
    form.set('messaging_product', 'whatsapp');
    form.set('type', 'image/jpeg');
    form.set('file', new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xe0])], { type: 'image/jpeg' }), 'car.jpg');
    const authorization = { authorization: `Bearer ${accessToken}` };
    const upload = await fetch(`${sandbox.urls.whatsapp}/${apiVersion}/${phoneNumberId}/media`, {
      method: 'POST',
      headers: authorization,
      body: form,
    });
    expect(upload.status).toBe(200);
    const { id } = (await upload.json()) as { id: string };
    expect(id).toMatch(/^\d{16}$/);
    const info = (await (await fetch(`${sandbox.urls.whatsapp}/${apiVersion}/${id}`, { headers: authorization })).json()) as any;
    expect(info).toMatchObject({
      messaging_product: 'whatsapp',
      id,
      mime_type: 'image/jpeg',
      file_size: 4,
      sha256: expect.any(String),
    });
    const bytes = new Uint8Array(await (await fetch(info.url, { headers: authorization })).arrayBuffer());
    expect([...bytes]).toEqual([0xff, 0xd8, 0xff, 0xe0]);
  });

  it('injects inbound text and a "call an operator" button press in the real format', async () => {
    const { sandbox, receiver } = await setup({ behaviour: { whatsapp: { outcomes: { '79161234567': 'silent' } } } });
    const { messages } = (await (await send(sandbox, template('79161234567'))).json()) as any;
    const text = await sandbox.whatsapp.inbound({ from: '+79161234567', name: 'Иван', text: 'Можно в субботу?' });
    expect(text.deliveries).toEqual([expect.objectContaining({ status: 200, attempt: 1 })]);
    await sandbox.whatsapp.inbound({ from: '+79161234567', button: { text: 'Позвать оператора', payload: 'CALL_OPERATOR' } });
    await sandbox.whatsapp.inbound({ from: '+79161234567', reply: { id: 'call_operator', title: 'Позвать оператора' } });
    const values = receiver.json().map((body) => body.entry[0].changes[0].value);
    expect(values[0]).toMatchObject({
      contacts: [{ profile: { name: 'Иван' }, wa_id: '79161234567' }],
      messages: [
        { from: '79161234567', id: text.id, timestamp: String(start / 1000), type: 'text', text: { body: 'Можно в субботу?' } },
      ],
    });
    expect(values[0].messages[0].context).toBeUndefined();
    expect(values[1].messages[0]).toMatchObject({
      type: 'button',
      button: { text: 'Позвать оператора', payload: 'CALL_OPERATOR' },
      context: { from: sandbox.credentials.whatsapp.displayPhoneNumber, id: messages[0].id },
    });
    expect(values[2].messages[0]).toMatchObject({
      type: 'interactive',
      interactive: { type: 'button_reply', button_reply: { id: 'call_operator', title: 'Позвать оператора' } },
    });
    for (const request of receiver.received) {
      expect(request.headers['x-hub-signature-256']).toBe(
        `sha256=${createHmac('sha256', sandbox.credentials.whatsapp.appSecret).update(request.raw).digest('hex')}`,
      );
    }
    await expect(sandbox.whatsapp.inbound({ from: '+79161234567' })).rejects.toThrow(TypeError);
  });

  it('a username user: webhooks without from/wa_id, replies to `recipient`, statuses with recipient_user_id', async () => {
    // Shapes from Meta's business-scoped user ids guide (webhooks, `recipient`, 131062):
    // https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/
    const userId = 'US.13491208655302741918';
    const { sandbox, receiver } = await setup({
      behaviour: {
        whatsapp: {
          outcomes: { [userId]: 'delivered' },
          templates: [{ name: 'login_code', language: 'ru', category: 'authentication', status: 'APPROVED' }],
        },
      },
    });
    const inbound = await sandbox.whatsapp.inbound({ userId, username: '@ivan_auto', name: 'Иван', text: 'Здравствуйте' });
    expect(receiver.json()[0].entry[0].changes[0].value).toMatchObject({
      contacts: [{ profile: { name: 'Иван', username: '@ivan_auto' }, user_id: userId }],
      messages: [{ from_user_id: userId, id: inbound.id, type: 'text' }],
    });
    const value = receiver.json()[0].entry[0].changes[0].value;
    expect(value.messages[0].from).toBeUndefined();
    expect(value.contacts[0].wa_id).toBeUndefined();

    const reply = { messaging_product: 'whatsapp', recipient: userId, type: 'text', text: { body: 'Добрый день!' } };
    const response = await send(sandbox, reply);
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).contacts).toEqual([{ input: userId, user_id: userId }]);
    await sandbox.flush({ all: true });
    const statuses = receiver
      .json()
      .slice(1)
      .map((body) => body.entry[0].changes[0].value.statuses[0]);
    expect(statuses.map((status) => [status.status, status.recipient_user_id, status.recipient_id])).toEqual([
      ['sent', userId, undefined],
      ['delivered', userId, undefined],
    ]);

    // Neither address → 100; an authentication template to a user id → 131062.
    const neither = await send(sandbox, { messaging_product: 'whatsapp', type: 'text', text: { body: 'x' } });
    expect(((await neither.json()) as any).error).toMatchObject({
      code: 100,
      error_data: { details: expect.stringContaining('to') },
    });
    const { to: _, ...login } = { ...template('79161234567', 'login_code'), recipient: userId };
    const refused = await send(sandbox, { ...login, template: { name: 'login_code', language: { code: 'ru' } } });
    expect(((await refused.json()) as any).error).toMatchObject({ code: 131062 });
    await expect(sandbox.whatsapp.inbound({ text: 'кто я?' })).rejects.toThrow(TypeError);
  });

  it('performs the hub.challenge verification handshake', async () => {
    const receiver = await startTestReceiver((request) => {
      const url = new URL(request.path, 'http://x');
      return url.searchParams.get('hub.verify_token') === 'my-verify-token'
        ? { status: 200, body: url.searchParams.get('hub.challenge') ?? '' }
        : { status: 403 };
    });
    const sandbox = await startSandbox({
      seed: 1,
      webhookTargets: { whatsapp: receiver.url() },
      credentials: { whatsapp: { verifyToken: 'my-verify-token' } },
    });
    stops.push(receiver.close, sandbox.stop);
    expect(await sandbox.whatsapp.verifyWebhook()).toEqual([{ url: receiver.url(), status: 200, ok: true }]);
    expect(receiver.received[0]?.method).toBe('GET');
    expect(receiver.received[0]?.path).toMatch(/hub\.mode=subscribe&hub\.verify_token=my-verify-token&hub\.challenge=\d{10}$/);
  });
});

describe('WhatsApp templates', () => {
  const templates = [
    { name: 'spring_sale', category: 'marketing' as const, body: 'Здравствуйте, {{1}}! Скидка на {{2}} до конца марта.' },
    { name: 'booking_reminder', category: 'utility' as const, body: 'Ждём вас {{date}} в {{time}}.' },
    { name: 'old_promo', status: 'PAUSED' as const },
    { name: 'draft', status: 'PENDING' as const },
  ];

  it('checks status and body parameter count like Meta', async () => {
    const { sandbox } = await setup({ behaviour: { whatsapp: { templates } } });
    const body = (name: string, parameters: string[], language = 'ru') => ({
      ...template('79161234567', name),
      template: {
        name,
        language: { code: language },
        components: [{ type: 'body', parameters: parameters.map((text) => ({ type: 'text', text })) }],
      },
    });
    const codes = [];
    for (const request of [
      body('spring_sale', ['Иван', 'Haval F7']),
      body('spring_sale', ['Иван']),
      body('spring_sale', ['Иван', 'Haval F7'], 'en'),
      body('old_promo', []),
      body('draft', []),
    ]) {
      const response = await send(sandbox, request);
      codes.push(response.status === 200 ? 200 : ((await response.json()) as any).error.code);
    }
    expect(codes).toEqual([200, 132000, 132001, 132015, 132001]);
  });

  it('prices utility templates by their category', async () => {
    const { sandbox, receiver } = await setup({
      behaviour: { whatsapp: { templates, outcomes: { '79161234567': 'delivered' } } },
    });
    await send(sandbox, {
      ...template('79161234567', 'booking_reminder'),
      template: {
        name: 'booking_reminder',
        language: { code: 'ru' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', parameter_name: 'date', text: '5 марта' },
              { type: 'text', parameter_name: 'time', text: '10:00' },
            ],
          },
        ],
      },
    });
    await sandbox.flush({ all: true });
    expect(receiver.json()[0].entry[0].changes[0].value.statuses[0].pricing).toEqual({
      billable: true,
      pricing_model: 'PMP',
      category: 'utility',
      type: 'regular',
    });
    expect(sandbox.stats().whatsapp.billable).toEqual({ marketing: 0, utility: 1, authentication: 0, service: 0 });
  });

  it('lists templates of the WABA with cursor paging', async () => {
    const { sandbox } = await setup({ behaviour: { whatsapp: { templates } } });
    const { apiVersion, wabaId, accessToken } = sandbox.credentials.whatsapp;
    const headers = { authorization: `Bearer ${accessToken}` };
    const first = (await (
      await fetch(`${sandbox.urls.whatsapp}/${apiVersion}/${wabaId}/message_templates?fields=name,status&limit=3`, { headers })
    ).json()) as any;
    expect(first.data).toHaveLength(3);
    expect(first.data[0]).toEqual({
      name: 'spring_sale',
      parameter_format: 'POSITIONAL',
      components: [{ type: 'BODY', text: templates[0]?.body }],
      language: 'ru',
      status: 'APPROVED',
      category: 'MARKETING',
      id: expect.stringMatching(/^\d{16}$/),
    });
    expect(first.data[1]).toMatchObject({ name: 'booking_reminder', parameter_format: 'NAMED', category: 'UTILITY' });
    const second = (await (await fetch(first.paging.next, { headers })).json()) as any;
    expect(second.data.map((item: any) => item.name)).toEqual(['draft']);
    expect(second.paging.next).toBeUndefined();
  });
});
