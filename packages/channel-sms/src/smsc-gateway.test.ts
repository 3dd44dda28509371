import { createHash } from 'node:crypto';
import {
  AuthError,
  ChannelApiError,
  RateLimitError,
  UnreachableRecipientError,
  ValidationError,
  WebhookError,
} from '@omnidealer/core';
import { createTestServer } from '@omnidealer/core/test';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  smscCallbackDelivered,
  smscCallbackExpired,
  smscCallbackInbound,
  smscCallbackQueued,
  smscCallbackSecret,
  smscCallbackUnknownStatus,
  smscCallbackWrongNumber,
  smscCostOk,
  smscSendBadLogin,
  smscSendBadNumber,
  smscSendCannotDeliver,
  smscSendDuplicate,
  smscSendNoMoney,
  smscSendOk,
  smscStatusDelivered,
  smscStatusWaiting,
  smscStatusWrongNumber,
} from './__fixtures__/smsc.js';
import { createSmscGateway } from './smsc-gateway.js';
import { computeSmscSignature, verifySmscSignature } from './smsc-signature.js';

const send = 'POST https://smsc.ru/sys/send.php';
const status = 'GET https://smsc.ru/sys/status.php';
const server = createTestServer({ [send]: { json: smscSendOk } });
beforeEach(() => server.use(send, { json: smscSendOk }));
const gateway = createSmscGateway({ login: 'dealer', password: 'smsc-password-123456' });
const request = { to: '+79161234567', text: 'Ваш автомобиль готов', sender: 'AutoDealer', segments: 1 };

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('SMSC.ru', () => {
  it('posts the exact form body and returns id:phone, segments and the price', async () => {
    expect(await gateway.send(request, {})).toEqual({
      providerMessageId: '4521:79161234567',
      segments: 2,
      cost: { amountMinor: 680, currency: 'RUB' },
    });
    expect(server.callsTo('/sys/send.php')[0]?.text).toBe(
      new URLSearchParams({
        login: 'dealer',
        psw: 'smsc-password-123456',
        phones: '+79161234567',
        mes: 'Ваш автомобиль готов',
        fmt: '3',
        charset: 'utf-8',
        cost: '3',
        sender: 'AutoDealer',
      }).toString(),
    );
  });

  it.each([
    ['7 wrong number format', smscSendBadNumber, UnreachableRecipientError, false],
    ['8 cannot deliver', smscSendCannotDeliver, UnreachableRecipientError, false],
    ['3 insufficient funds', smscSendNoMoney, ChannelApiError, false],
    ['2 bad login', smscSendBadLogin, AuthError, false],
    ['9 duplicate requests', smscSendDuplicate, RateLimitError, true],
  ])('classifies error %s', async (_name, body, type, retryable) => {
    server.use(send, { json: body });
    const error = await failure(gateway.send(request, {}));
    expect(error).toSatisfy(type.isInstance);
    expect(error).toMatchObject({ retryable, providerCode: body.error_code });
    expect(JSON.stringify(error)).not.toContain('smsc-password-123456');
  });

  it('polls the status by id and phone', async () => {
    server.use(status, { json: smscStatusDelivered });
    expect(await gateway.getStatus?.('4521:79161234567')).toEqual({
      providerMessageId: '4521:79161234567',
      status: 'delivered',
      providerStatus: 1,
    });
    expect(Object.fromEntries(server.callsTo('/sys/status.php')[0]?.url.searchParams ?? [])).toEqual({
      login: 'dealer',
      psw: 'smsc-password-123456',
      phone: '79161234567',
      id: '4521',
      fmt: '3',
    });
    server.use(status, { json: smscStatusWrongNumber });
    expect(await gateway.getStatus?.('4521:79161234567')).toMatchObject({
      status: 'failed',
      error: { code: 'invalid_address', providerCode: 22 },
    });
    server.use(status, { json: smscStatusWaiting });
    expect(await gateway.getStatus?.('4521:79161234567')).toMatchObject({ status: 'queued' });
  });

  it('quotes the cost with cost=1', async () => {
    server.use(send, { json: smscCostOk });
    expect(await gateway.getCost?.({ to: '+79161234567', text: 'Привет' })).toEqual({
      cost: { amountMinor: 680, currency: 'RUB' },
      segments: 2,
    });
    expect(server.callsTo('/sys/send.php')[0]?.form).toMatchObject({ cost: '1' });
  });

  it('needs credentials before any network call', async () => {
    vi.stubEnv('SMSC_PASSWORD', '');
    const error = await failure(createSmscGateway({ login: 'dealer' }).send(request, {}));
    vi.unstubAllEnvs();
    expect(error).toSatisfy(ValidationError.isInstance);
    expect(error).toMatchObject({
      field: 'settings.password',
      message: 'sms: no SMSC password (pass settings.password or set SMSC_PASSWORD)',
    });
    expect(server.calls).toHaveLength(0);
  });

  describe('delivery callbacks', () => {
    const hooks = createSmscGateway({ login: 'dealer', password: 'smsc-password-123456', callbackSecret: smscCallbackSecret });
    const hash = (algorithm: 'md5' | 'sha1', text: string) => createHash(algorithm).update(text, 'utf8').digest('hex');
    const signed = (fields: Record<string, string>, secret = smscCallbackSecret) => ({
      ...fields,
      md5: hash('md5', `${fields.id}:${fields.phone}:${fields.status}:${secret}`),
    });
    const webhook = (fields: Record<string, string> | string, url = 'https://crm.example/webhooks/smsc') => ({
      method: 'POST',
      url: new URL(url),
      headers: new Headers({ 'content-type': 'application/x-www-form-urlencoded' }),
      body: new TextEncoder().encode(typeof fields === 'string' ? fields : new URLSearchParams(fields).toString()),
    });

    it('signs md5/sha1 of id:phone:status:secret, as SMSC documents', () => {
      const parameters = new URLSearchParams(smscCallbackDelivered);
      expect(computeSmscSignature(parameters, 'secret')).toBe(hash('md5', '4521:79161234567:1:secret'));
      expect(computeSmscSignature(parameters, 'secret', 'sha1')).toBe(hash('sha1', '4521:79161234567:1:secret'));
      parameters.set('sha1', hash('sha1', '4521:79161234567:1:secret').toUpperCase());
      expect(verifySmscSignature(parameters, 'secret')).toBe(true);
      parameters.set('md5', hash('md5', '4521:79161234567:1:other'));
      expect(verifySmscSignature(parameters, 'secret')).toBe(false);
    });

    it('turns the callback of a sent message into a delivered status with the id send returned, answered 200 OK', async () => {
      const { providerMessageId } = await hooks.send(request, {});
      const result = await hooks.parseWebhook(webhook(signed(smscCallbackDelivered)), 42);
      expect(result.events).toEqual([
        {
          type: 'status',
          providerMessageId,
          status: 'delivered',
          at: 1_773_910_805_000,
          cost: { amountMinor: 680, currency: 'RUB' },
          metadata: { provider: 'smsc', providerStatus: 1, err: 0, segments: 2 },
        },
      ]);
      expect(providerMessageId).toBe('4521:79161234567');
      expect(result.response?.status).toBe(200);
      expect(await result.response?.text()).toBe('OK');
    });

    it('sends our message id as the client-chosen id; a callback with it names our message (reconciles a lost answer)', async () => {
      // SMSC answers with the id it was given.
      server.use(send, { json: { ...smscSendOk, id: 'msg_0f3a9c' } });
      const { providerMessageId } = await hooks.send({ ...request, clientReference: 'msg_0f3a9c' }, {});
      expect(server.callsTo('/sys/send.php')[0]?.form).toMatchObject({ id: 'msg_0f3a9c', phones: '+79161234567' });
      expect(providerMessageId).toBe('msg_0f3a9c:79161234567');
      const result = await hooks.parseWebhook(webhook(signed({ ...smscCallbackDelivered, id: 'msg_0f3a9c' })), 42);
      expect(result.events).toEqual([
        expect.objectContaining({ providerMessageId, messageId: 'msg_0f3a9c', status: 'delivered' }),
      ]);
      // SMSC's own numeric ids name nothing of ours; an id SMSC would refuse is not sent.
      const numbered = await hooks.parseWebhook(webhook(signed(smscCallbackDelivered)), 42);
      expect(numbered.events[0]).not.toHaveProperty('messageId');
      await hooks.send({ ...request, clientReference: 'msg/with spaces' }, {});
      expect(server.callsTo('/sys/send.php')[1]?.form).not.toHaveProperty('id');
    });

    it.each([
      ['22 wrong number', smscCallbackWrongNumber, 'invalid_address', 22],
      ['3 expired', smscCallbackExpired, 'expired', 3],
    ])('maps status %s to failed with the reason', async (_name, fields, code, providerCode) => {
      const result = await hooks.parseWebhook(webhook(signed(fields)), 42);
      expect(result.events).toEqual([
        expect.objectContaining({
          providerMessageId: '4521:79161234567',
          status: 'failed',
          error: expect.objectContaining({ code, providerCode, retryable: false }),
        }),
      ]);
    });

    it('accepts a sha1-only signature, a phone with + and a GET callback', async () => {
      const fields = { ...smscCallbackDelivered, phone: '+79161234567' };
      const sha1 = hash('sha1', `4521:+79161234567:1:${smscCallbackSecret}`);
      const posted = await hooks.parseWebhook(webhook({ ...fields, sha1 }), 0);
      expect(posted.events[0]).toMatchObject({ providerMessageId: '4521:79161234567', status: 'delivered' });
      const query = new URLSearchParams(signed(smscCallbackDelivered)).toString();
      const viaGet = await hooks.parseWebhook(
        { ...webhook(''), method: 'GET', url: new URL(`https://crm.example/h?${query}`) },
        0,
      );
      expect(viaGet.events[0]).toMatchObject({ status: 'delivered' });
    });

    it('ignores queued (-1) and unknown status codes, and inbound SMS, still answering 200', async () => {
      for (const fields of [smscCallbackQueued, smscCallbackUnknownStatus]) {
        const result = await hooks.parseWebhook(webhook(signed(fields)), 0);
        expect(result).toMatchObject({ events: [], ignored: 1 });
        expect(result.response?.status).toBe(200);
      }
      const inbound = {
        ...smscCallbackInbound,
        md5: hash('md5', `79161234567:Да, приеду:79035550000:${smscCallbackSecret}`),
      };
      expect(await hooks.parseWebhook(webhook(inbound), 0)).toMatchObject({ events: [], ignored: 1 });
    });

    it.each([
      ['unsigned', () => webhook(smscCallbackDelivered)],
      ['signed with another secret', () => webhook(signed(smscCallbackDelivered, 'guessed-secret'))],
      ['with a forged status', () => webhook({ ...signed(smscCallbackWrongNumber), status: '1' })],
      ['with an empty md5', () => webhook({ ...smscCallbackDelivered, md5: '' })],
    ])('refuses a callback %s with a 401 signature error before parsing', async (_name, build) => {
      const error = await failure(hooks.parseWebhook(build(), 0));
      expect(error).toSatisfy(WebhookError.isInstance);
      expect(error).toMatchObject({ status: 401, code: 'webhook_signature' });
      expect(JSON.stringify(error)).not.toContain(smscCallbackSecret);
    });

    it('refuses every callback when no secret is configured', async () => {
      const error = await failure(gateway.parseWebhook(webhook(signed(smscCallbackDelivered)), 0));
      expect(error).toMatchObject({ status: 401, code: 'webhook_signature' });
    });

    it('rejects a signed body without a valid id / numeric status, and a non-UTF-8 body, as malformed (400)', async () => {
      for (const fields of [
        { id: '', phone: '79161234567', status: '1' },
        { ...smscCallbackDelivered, status: 'delivered' },
        // SMSC ids are numbers, or a client-chosen id of latin letters, digits and `.-_` (up to 40).
        { ...smscCallbackDelivered, id: '45/21' },
        { ...smscCallbackDelivered, id: 'a'.repeat(41) },
      ]) {
        const signedFields = {
          ...fields,
          md5: hash('md5', `${fields.id}:${fields.phone}:${fields.status}:${smscCallbackSecret}`),
        };
        const error = await failure(hooks.parseWebhook(webhook(signedFields), 0));
        expect(error).toSatisfy(WebhookError.isInstance);
        expect(error).toMatchObject({ status: 400, code: 'webhook_malformed' });
      }
      const binary = { ...webhook(''), body: new Uint8Array([0x69, 0x64, 0x3d, 0xff, 0xfe]) };
      expect(await failure(hooks.parseWebhook(binary, 0))).toMatchObject({ status: 400, code: 'webhook_malformed' });
    });
  });
});
