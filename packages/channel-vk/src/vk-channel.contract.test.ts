import { createTestServer, httpContractProvider, testChannelContract } from '@omnidealer/core/test';
import error6 from './__fixtures__/error-6.json';
import error10 from './__fixtures__/error-10.json';
import error100 from './__fixtures__/error-100.json';
import messageNew from './__fixtures__/event-message-new.json';
import sendResponse from './__fixtures__/send-response.json';
import { createVkChannel } from './vk-channel.js';

// Shapes: see __fixtures__/README.md. VK answers API errors with HTTP 200, so the errors carry no statusCode check.
const base = 'https://api.vk.ru/method';
const token = 'vk1.a.Hx7pQ2mN9rT4wY6zB8cD0eF3gJ5kL1nP-community-token';
const secret = 'vkSecret7f3a9c2e41';
const sendRoute = `POST ${base}/messages.send`;
const api = createTestServer({ [sendRoute]: { json: sendResponse } });
const send = httpContractProvider(api, sendRoute);

const hook = (body: unknown) =>
  new Request('https://crm.example/hooks/vk', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

testChannelContract('vk', {
  createChannel: () => createVkChannel({ groupId: 229010001, token, secret, confirmationCode: 'a1b2c3d4' }),
  sendable: {
    contact: { id: 'c1', identities: { vk: '310550771' } },
    content: { type: 'text', text: 'Да, Солярис в наличии' },
  },
  sendAttempts: send.attempts,
  success: { script: send.answer({ json: sendResponse }), providerMessageId: String(sendResponse.response) },
  errors: {
    retryable: [
      {
        name: 'error 6 too many requests per second',
        script: send.answer({ json: error6 }),
        providerCode: 6,
        retryAfterMs: 1000,
      },
      { name: 'error 10 internal server error', script: send.answer({ json: error10 }), providerCode: 10 },
      { name: 'HTTP 502 from a proxy', script: send.answer({ status: 502, text: '<html>Bad Gateway</html>' }), statusCode: 502 },
    ],
    final: [{ name: 'error 100 invalid parameter', script: send.answer({ json: error100 }), providerCode: 100 }],
  },
  webhook: {
    valid: () => hook(messageNew),
    badSignature: () => hook({ ...messageNew, secret: 'vkSecret7f3a9c2e42' }),
    malformed: () => hook({ ...messageNew, object: { message: { text: 'no ids' } } }),
  },
  secrets: [token, secret],
});
