import { createTestServer, httpContractProvider, testChannelContract } from '@omnidealer/core/test';
import { accessToken, appSecret, graphErrors, inboundEnvelope, messagesRoute, signedRequest } from './__fixtures__/fixtures.js';
import sendSuccess from './__fixtures__/send-success.json';
import { createTestWhatsAppChannel } from './__fixtures__/test-hub.js';

const api = createTestServer({ [messagesRoute]: { json: sendSuccess } });
const messages = httpContractProvider(api, messagesRoute);
const inbound = inboundEnvelope([
  { from: '79161234567', id: 'wamid.CONTRACT1', timestamp: '1764066000', type: 'text', text: { body: 'Здравствуйте' } },
]);

testChannelContract('whatsapp', {
  createChannel: () =>
    createTestWhatsAppChannel({
      templates: [
        {
          name: 'booking_reminder',
          language: 'ru',
          category: 'utility',
          parameterFormat: 'named',
          bodyParams: ['client', 'model'],
        },
      ],
    }),
  // A new contact: only a template may start the conversation.
  sendable: {
    contact: { id: 'c1', phone: '+7 916 123-45-67' },
    content: { type: 'template', name: 'booking_reminder', language: 'ru', params: { client: 'Иван', model: 'Haval F7' } },
  },
  sendAttempts: messages.attempts,
  success: { script: messages.answer({ json: sendSuccess }), providerMessageId: sendSuccess.messages[0]?.id as string },
  errors: {
    retryable: [
      {
        name: 'HTTP 429, Graph 130429 (throughput) with Retry-After',
        script: messages.answer({ status: 429, headers: { 'retry-after': '2' }, json: graphErrors['130429'] }),
        statusCode: 429,
        providerCode: 130429,
        retryAfterMs: 2000,
      },
      {
        name: 'HTTP 500, Graph 131000 (something went wrong)',
        script: messages.answer({ status: 500, json: graphErrors['131000'] }),
        statusCode: 500,
        providerCode: 131000,
      },
      {
        name: 'HTTP 503 HTML page from a proxy',
        script: messages.answer({
          status: 503,
          text: '<html>Service Unavailable</html>',
          headers: { 'content-type': 'text/html' },
        }),
        statusCode: 503,
      },
    ],
    final: [
      {
        name: 'HTTP 400, Graph 100 (invalid parameter)',
        script: messages.answer({ status: 400, json: graphErrors['100'] }),
        statusCode: 400,
        providerCode: 100,
      },
      {
        name: 'HTTP 404, Graph 132001 (template does not exist)',
        script: messages.answer({ status: 404, json: graphErrors['132001'] }),
        statusCode: 404,
        providerCode: 132001,
      },
    ],
  },
  webhook: {
    valid: () => signedRequest(inbound),
    badSignature: () => signedRequest(inbound, 'not-the-app-secret-0000000000000'),
    malformed: () => signedRequest({ object: 'whatsapp_business_account', entry: 'not-a-list' }),
  },
  secrets: [accessToken, appSecret],
});
