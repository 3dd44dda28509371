import { AuthError, ProviderError, RateLimitError, UnreachableRecipientError } from '@omnidealer/core';
import { createTestServer } from '@omnidealer/core/test';
import { beforeEach, describe, expect, it } from 'vitest';
import {
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
    ['3 insufficient funds', smscSendNoMoney, ProviderError, false],
    ['2 bad login', smscSendBadLogin, AuthError, false],
    ['9 duplicate requests', smscSendDuplicate, RateLimitError, true],
  ])('classifies error %s', async (_name, body, type, retryable) => {
    server.use(send, { json: body });
    const error = await failure(gateway.send(request, {}));
    expect(error).toBeInstanceOf(type);
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
    expect(await failure(createSmscGateway({ login: 'dealer' }).send(request, {}))).toBeInstanceOf(AuthError);
    expect(server.calls).toHaveLength(0);
  });
});
