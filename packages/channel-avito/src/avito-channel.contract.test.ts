import { createTestServer, httpContractProvider, testChannelContract } from '@omnidealer/core/test';
import chatFixture from './__fixtures__/chat.json';
import error400 from './__fixtures__/error-400.json';
import error429 from './__fixtures__/error-429.json';
import error500 from './__fixtures__/error-500.json';
import sendTextFixture from './__fixtures__/send-text.json';
import tokenFixture from './__fixtures__/token.json';
import messageFixture from './__fixtures__/webhook-message.json';
import { createAvitoChannel } from './avito-channel.js';

const base = 'https://api.avito.ru';
const userId = 94235311;
const chatId = 'u2i-hM9bdAkYJ0ZQ4LkG0j8Rdg';
const webhookSecret = 'k7Qw2mZx9RtY4vBn8LpA';
const clientSecret = 'client-secret-xyz-987';
const sendRoute = `POST ${base}/messenger/v1/accounts/${userId}/chats/:chatId/messages`;
const api = createTestServer({
  [`POST ${base}/token`]: { json: tokenFixture },
  // Inbound messages from a new chat look the chat up (the customer's name, the listing).
  [`GET ${base}/messenger/v2/accounts/${userId}/chats/:chatId`]: { json: chatFixture },
  [sendRoute]: { json: sendTextFixture },
});
const send = httpContractProvider(api, `POST ${base}/messenger/v1/accounts/${userId}/chats/${chatId}/messages`);
const sendAnswer = (responses: Parameters<typeof send.answer>[0]) => () => api.use(sendRoute, responses);

const hook = (body: string, secret = webhookSecret) =>
  new Request(`https://crm.example/hooks/avito/${secret}`, { method: 'POST', body });

testChannelContract('avito', {
  createChannel: () => createAvitoChannel({ clientId: 'client-id-123', clientSecret, userId, webhookSecret, rateLimit: {} }),
  sendable: { contact: { id: 'c1', identities: { avitoChatIds: [chatId] } }, content: { type: 'text', text: 'Да, в продаже' } },
  sendAttempts: send.attempts,
  success: { script: sendAnswer({ json: sendTextFixture }), providerMessageId: sendTextFixture.id },
  errors: {
    retryable: [
      {
        name: 'HTTP 429 Too Many Requests with Retry-After',
        script: sendAnswer({ status: 429, headers: { 'retry-after': '3' }, json: error429 }),
        statusCode: 429,
        providerCode: 429,
        retryAfterMs: 3000,
      },
      { name: 'HTTP 500 internal error', script: sendAnswer({ status: 500, json: error500 }), statusCode: 500 },
    ],
    final: [
      {
        name: 'HTTP 400 text too long',
        script: sendAnswer({ status: 400, json: error400 }),
        statusCode: 400,
        providerCode: 400,
      },
    ],
  },
  webhook: {
    valid: () => hook(JSON.stringify(messageFixture)),
    badSignature: () => hook(JSON.stringify(messageFixture), 'k7Qw2mZx9RtY4vBn8LpB'),
    malformed: () => hook('{"id":'),
  },
  secrets: [clientSecret, webhookSecret, tokenFixture.access_token],
});
