import { createHash } from 'node:crypto';
import { createTestServer, httpContractProvider, testChannelContract } from '@omnidealer/core/test';
import { smsRuDuplicatePerMinute, smsRuSendNoMoney, smsRuSendOk, smsRuUnavailable } from './__fixtures__/sms-ru.js';
import {
  smscCallbackDelivered,
  smscCallbackSecret,
  smscSendDuplicate,
  smscSendNoMoney,
  smscSendOk,
} from './__fixtures__/smsc.js';
import {
  twilioAccountSid,
  twilioAuthToken,
  twilioInboundSms,
  twilioMessageQueued,
  twilioRegionDisabled,
  twilioTooManyRequests,
} from './__fixtures__/twilio.js';
import { createSmsChannel } from './sms-channel.js';
import { createSmsRuGateway } from './sms-ru-gateway.js';
import { createSmscGateway } from './smsc-gateway.js';
import { createTwilioGateway } from './twilio-gateway.js';
import { computeTwilioSignature } from './twilio-signature.js';

const routes = {
  smsRu: 'POST https://sms.ru/sms/send',
  smsc: 'POST https://smsc.ru/sys/send.php',
  twilio: `POST https://api.twilio.com/2010-04-01/Accounts/${twilioAccountSid}/Messages.json`,
};
const api = createTestServer({
  [routes.smsRu]: { json: smsRuSendOk },
  [routes.smsc]: { json: smscSendOk },
  [routes.twilio]: { status: 201, json: twilioMessageQueued },
});
const sendable = {
  contact: { id: 'c1', phone: '+7 916 123-45-67' },
  content: { type: 'text' as const, text: 'Ваш автомобиль готов' },
};
const form = (url: string, fields: Record<string, string> | string, headers: Record<string, string> = {}) =>
  new Request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof fields === 'string' ? fields : new URLSearchParams(fields).toString(),
  });
const proxyError = { status: 503, text: '<html><body>503 Service Temporarily Unavailable</body></html>' };

// SMS.ru answers errors with HTTP 200 and a status_code; callbacks are authenticated by a token in the URL.
const smsRu = httpContractProvider(api, routes.smsRu);
const apiId = 'A1B2C3D4-E5F6-0000-1111-222233334444';
const smsRuToken = 'callback-token-987654';
const smsRuCallback = (token: string, body: string) => form(`https://crm.example/webhooks/sms?token=${token}`, body);
const smsRuDelivered = new URLSearchParams({ 'data[0]': 'sms_status\n000000-10000000\n103\n1773907200' }).toString();

testChannelContract('sms (sms.ru)', {
  createChannel: () =>
    createSmsChannel({ gateway: createSmsRuGateway({ apiId, webhookToken: smsRuToken }), sender: 'AutoDealer' }),
  sendable,
  sendAttempts: smsRu.attempts,
  success: { script: smsRu.answer({ json: smsRuSendOk }), providerMessageId: '000000-10000000' },
  errors: {
    retryable: [
      { name: '220 service temporarily unavailable', script: smsRu.answer({ json: smsRuUnavailable }), providerCode: 220 },
      {
        name: '231 duplicate-per-minute limit',
        script: smsRu.answer({ json: smsRuDuplicatePerMinute }),
        providerCode: 231,
        retryAfterMs: 60_000,
      },
      { name: 'HTTP 503 from a proxy', script: smsRu.answer(proxyError), statusCode: 503 },
    ],
    final: [{ name: '201 insufficient funds', script: smsRu.answer({ json: smsRuSendNoMoney }), providerCode: 201 }],
  },
  webhook: {
    valid: () => smsRuCallback(smsRuToken, smsRuDelivered),
    badSignature: () => smsRuCallback('callback-token-987655', smsRuDelivered),
    malformed: () => smsRuCallback(smsRuToken, 'hello=world'),
  },
  secrets: [apiId, smsRuToken],
});

// SMSC.ru answers errors with HTTP 200 and an error_code; callbacks carry md5(id:phone:status:secret).
const smsc = httpContractProvider(api, routes.smsc);
const smscPassword = 'smsc-password-123456';
const smscSigned = (fields: Record<string, string>, secret = smscCallbackSecret) => ({
  ...fields,
  md5: createHash('md5').update(`${fields.id}:${fields.phone}:${fields.status}:${secret}`, 'utf8').digest('hex'),
});
const smscCallback = (fields: Record<string, string>) => form('https://crm.example/webhooks/smsc', fields);

testChannelContract('sms (smsc.ru)', {
  createChannel: () =>
    createSmsChannel({
      gateway: createSmscGateway({ login: 'dealer', password: smscPassword, callbackSecret: smscCallbackSecret }),
      sender: 'AutoDealer',
    }),
  sendable,
  sendAttempts: smsc.attempts,
  success: { script: smsc.answer({ json: smscSendOk }), providerMessageId: '4521:79161234567' },
  errors: {
    retryable: [
      {
        name: '9 duplicate request, wait a minute',
        script: smsc.answer({ json: smscSendDuplicate }),
        providerCode: 9,
        retryAfterMs: 60_000,
      },
      { name: 'HTTP 503 from a proxy', script: smsc.answer(proxyError), statusCode: 503 },
    ],
    final: [{ name: '3 no money', script: smsc.answer({ json: smscSendNoMoney }), providerCode: 3 }],
  },
  webhook: {
    valid: () => smscCallback(smscSigned(smscCallbackDelivered)),
    badSignature: () => smscCallback(smscSigned(smscCallbackDelivered, 'guessed-secret')),
    malformed: () => smscCallback(smscSigned({ ...smscCallbackDelivered, status: 'delivered' })),
  },
  secrets: [smscPassword, smscCallbackSecret],
});

// Twilio answers errors with HTTP statuses and a JSON code; callbacks carry X-Twilio-Signature (HMAC-SHA1 of URL + form).
const twilio = httpContractProvider(api, routes.twilio);
const twilioHookUrl = 'https://crm.example/webhooks/sms?channel=sms';
const twilioCallback = async (fields: Record<string, string>, token = twilioAuthToken) =>
  form(twilioHookUrl, fields, {
    'x-twilio-signature': await computeTwilioSignature(token, twilioHookUrl, new URLSearchParams(fields)),
  });

testChannelContract('sms (twilio)', {
  createChannel: () =>
    createSmsChannel({
      gateway: createTwilioGateway({ accountSid: twilioAccountSid, authToken: twilioAuthToken, from: '+15017122661' }),
    }),
  sendable,
  sendAttempts: twilio.attempts,
  success: { script: twilio.answer({ status: 201, json: twilioMessageQueued }), providerMessageId: twilioMessageQueued.sid },
  errors: {
    retryable: [
      {
        name: 'HTTP 429, 20429 Too Many Requests with Retry-After',
        script: twilio.answer({ status: 429, headers: { 'retry-after': '1' }, json: twilioTooManyRequests }),
        statusCode: 429,
        providerCode: 20429,
        retryAfterMs: 1000,
      },
      { name: 'HTTP 503 from a proxy', script: twilio.answer(proxyError), statusCode: 503 },
    ],
    final: [
      {
        name: 'HTTP 400, 21408 region not enabled',
        script: twilio.answer({ status: 400, json: twilioRegionDisabled }),
        statusCode: 400,
        providerCode: 21408,
      },
    ],
  },
  webhook: {
    valid: () => twilioCallback(twilioInboundSms),
    badSignature: () => twilioCallback(twilioInboundSms, 'twilio-auth-token-0000000000000000'),
    // Neither a message nor a status: no MessageSid/SmsSid at all.
    malformed: () => twilioCallback({ AccountSid: twilioAccountSid }),
  },
  secrets: [twilioAuthToken],
});
