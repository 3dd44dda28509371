import { createTestServer, httpContractProvider, testChannelContract } from '@omnidealer/core/test';
import sendMessageFixture from './__fixtures__/send-message.json';
import messageCreated from './__fixtures__/update-message-created.json';
import { createMaxChannel } from './max-channel.js';

const base = 'https://platform-api2.max.ru';
const token = 'f9LHodD0cOJf4_DkJGeq8BkDgc5vgSwZocVrn44oirf';
const webhookSecret = 'mx_Secret-0123456789abcdef';
const sendRoute = `POST ${base}/messages`;
const api = createTestServer({ [sendRoute]: { json: sendMessageFixture } });
const send = httpContractProvider(api, sendRoute);

const hook = (body: string, secret = webhookSecret) =>
  new Request('https://crm.example/hooks/max', { method: 'POST', headers: { 'x-max-bot-api-secret': secret }, body });

testChannelContract('max', {
  createChannel: () => createMaxChannel({ token, webhookSecret }),
  sendable: {
    contact: { id: 'c1', identities: { max: '310550771' } },
    content: { type: 'text', text: 'Да, Солярис в наличии' },
  },
  sendAttempts: send.attempts,
  success: { script: send.answer({ json: sendMessageFixture }), providerMessageId: sendMessageFixture.message.body.mid },
  errors: {
    retryable: [
      {
        name: 'HTTP 429 with Retry-After',
        script: send.answer({
          status: 429,
          headers: { 'retry-after': '2' },
          json: { code: 'too.many.requests', message: 'Too many requests' },
        }),
        statusCode: 429,
        retryAfterMs: 2000,
      },
      {
        name: 'HTTP 503 from a proxy',
        script: send.answer({ status: 503, text: '<html>down</html>' }),
        statusCode: 503,
      },
    ],
    final: [
      {
        name: 'HTTP 400 proto.payload',
        script: send.answer({ status: 400, json: { code: 'proto.payload', message: 'Invalid payload' } }),
        statusCode: 400,
        providerCode: 'proto.payload',
      },
    ],
  },
  webhook: {
    valid: () => hook(JSON.stringify(messageCreated)),
    badSignature: () => hook(JSON.stringify(messageCreated), 'mx_Secret-0123456789abcdeF'),
    malformed: () => hook(JSON.stringify([messageCreated])),
  },
  secrets: [token, webhookSecret],
});
