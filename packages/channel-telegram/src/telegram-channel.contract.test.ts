import { createTestServer, httpContractProvider, testChannelContract } from '@omnidealer/core/test';
import tooManyRequests from './__fixtures__/error-too-many-requests.json';
import sendMessageFixture from './__fixtures__/send-message.json';
import messageText from './__fixtures__/update-message-text.json';
import { createTelegramChannel } from './telegram-channel.js';

const token = '110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const webhookSecret = 'tg_Secret-0123456789abcdef';
const sendRoute = `POST https://api.telegram.org/bot${token}/sendMessage`;
const api = createTestServer({ [sendRoute]: { json: sendMessageFixture } });
const send = httpContractProvider(api, sendRoute);

const hook = (body: string, secret = webhookSecret) =>
  new Request('https://crm.example/hooks/telegram', {
    method: 'POST',
    headers: { 'x-telegram-bot-api-secret-token': secret },
    body,
  });

testChannelContract('telegram', {
  createChannel: () => createTelegramChannel({ token, webhookSecret, rateLimit: { perSecond: 1000 } }),
  sendable: {
    contact: { id: 'c1', identities: { telegram: '714862471' } },
    content: { type: 'text', text: 'Да, Солярис в наличии' },
  },
  sendAttempts: send.attempts,
  success: { script: send.answer({ json: sendMessageFixture }), providerMessageId: '714862471:123' },
  errors: {
    retryable: [
      {
        name: '429 with parameters.retry_after',
        script: send.answer({ status: 429, json: tooManyRequests }),
        statusCode: 429,
        retryAfterMs: 5000,
        providerCode: 429,
      },
      { name: 'HTTP 502 from a proxy', script: send.answer({ status: 502, text: '<html>down</html>' }), statusCode: 502 },
    ],
    final: [
      {
        name: "400 can't parse entities",
        script: send.answer({
          status: 400,
          json: {
            ok: false,
            error_code: 400,
            description: 'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 0',
          },
        }),
        statusCode: 400,
        providerCode: 400,
      },
    ],
  },
  webhook: {
    valid: () => hook(JSON.stringify(messageText)),
    badSignature: () => hook(JSON.stringify(messageText), 'tg_Secret-0123456789abcdeF'),
    malformed: () => hook(JSON.stringify([messageText])),
  },
  secrets: [token, webhookSecret],
});
