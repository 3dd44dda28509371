import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Channel } from '../channel.js';
import { ChannelApiError } from '../errors/channel-api-error.js';
import { OmnidealerError } from '../errors/omnidealer-error.js';
import { WebhookError } from '../errors/webhook-error.js';
import { createOmnidealer, type Logger, type Omnidealer } from '../index.js';
import type { ContactInput } from '../model/contact.js';
import type { Message } from '../model/message.js';
import type { MessageContentInput } from '../model/message-content.js';
import type { TestResponse, TestServer } from './test-server.js';

/** A provider failure the channel must classify, and what the classified error must say. */
export interface ChannelContractError {
  /** Shown in the test name, e.g. `HTTP 429 with Retry-After`. */
  name: string;
  /** Scripts the provider so that every send attempt from now on gets this failure. */
  script(): void | Promise<void>;
  /** The `statusCode` the {@link ChannelApiError} must carry (omit for providers that answer errors with HTTP 200). */
  statusCode?: number;
  /** The provider's own error code the error must carry as `providerCode`. */
  providerCode?: string | number;
  /** The `retryAfterMs` the error must carry (the provider's `Retry-After`). */
  retryAfterMs?: number;
}

/** What {@link testChannelContract} needs to drive one channel against a scripted provider. */
export interface ChannelContractFixtures {
  /** A fresh channel whose provider endpoints are the scripted ones (a test server, a local SMTP server…). */
  createChannel(): Channel | Promise<Channel>;
  /** A contact and content the channel can send (reachable, valid). */
  sendable: { contact: ContactInput; content: MessageContentInput };
  /** Provider send calls seen since the test started (for HTTP channels see {@link httpContractProvider}). */
  sendAttempts(): number | Promise<number>;
  /**
   * Scripts the provider to accept the send, and the provider message id its answer carries (omit it when the id is
   * made per message, like an e-mail Message-ID: any non-empty id then passes).
   */
  success: { script(): void | Promise<void>; providerMessageId?: string };
  /**
   * Provider failures: `retryable` ones (429, 5xx, the provider's "try later") must become retryable
   * {@link ChannelApiError}s that the hub retries; `final` ones must become non-retryable ones it does not retry.
   */
  errors: { retryable: ChannelContractError[]; final: ChannelContractError[] };
  /** Webhook deliveries as the provider sends them; each call builds a fresh `Request`. */
  webhook: {
    /**
     * A correctly signed delivery the hub applies: an inbound message, or (for status-only callbacks) a status of the
     * message the suite sent first (`sendable` with the success answer), which it is given.
     */
    valid(sent: Message): Request | Promise<Request>;
    /** The same kind of delivery with a wrong or missing signature/secret. */
    badSignature(): Request | Promise<Request>;
    /** A correctly authenticated delivery whose body the provider could never have sent (not the provider's shape). */
    malformed(): Request | Promise<Request>;
  };
  /** Credentials the channel was created with (tokens, passwords, app secrets): none may appear in any error or log. */
  secrets: string[];
}

/** A scripted HTTP provider endpoint for {@link ChannelContractFixtures}, built on {@link createTestServer}. */
export interface HttpContractProvider {
  /** A `script` that makes the route answer `responses` (the last one repeats). */
  answer(responses: TestResponse | TestResponse[]): () => void;
  /** Calls the route received since the test started. */
  attempts(): number;
}

/**
 * Scripts one HTTP route of a {@link TestServer} for {@link testChannelContract}: `answer` for `success.script` and the
 * errors' `script`, `attempts` for `sendAttempts`.
 * @example
 * ```ts
 * const messages = httpContractProvider(api, 'POST https://graph.facebook.com/v23.0/123/messages');
 * testChannelContract('whatsapp', { sendAttempts: messages.attempts, success: { script: messages.answer({ json: ok }), providerMessageId: 'wamid.1' }, … });
 * ```
 */
export function httpContractProvider(server: TestServer, route: string): HttpContractProvider {
  const match = /^(GET|POST|PUT|DELETE|PATCH)\s+(.+)$/.exec(route);
  const method = match?.[1];
  const url = match?.[2] ?? route;
  return {
    answer: (responses) => () => server.use(route, responses),
    attempts: () =>
      server.calls.filter((call) => (method === undefined || call.method === method) && call.url.href.startsWith(url)).length,
  };
}

interface Captured {
  errors: unknown[];
  logs: string[];
  applied: string[];
}

/** Every text an error exposes: message, name, stack, JSON form (own fields, `raw` included) and its causes' texts. */
function textsOf(error: unknown, depth = 0): string[] {
  if (error === null || error === undefined || depth > 3) return [];
  if (typeof error !== 'object') return [String(error)];
  const texts = [String(error), safeJson(error)];
  if (error instanceof Error) {
    texts.push(error.message, error.stack ?? '');
    texts.push(...textsOf(error.cause, depth + 1));
  }
  if (OmnidealerError.isInstance(error)) texts.push(safeJson(error.raw));
  return texts;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/**
 * The conformance suite every channel package runs against its own provider shapes: sends through a hub come back
 * `sent` with the provider's id; provider failures are classified into {@link ChannelApiError}s carrying the channel,
 * status and provider code, retryable ones retried by the hub and final ones not; a webhook with a bad signature is
 * answered 401 and a malformed one 400 (a typed {@link WebhookError}), with nothing applied; and no credential appears
 * in any error message, serialized error, stored failure or log line. Call it at the top level of a test file.
 * @example
 * ```ts
 * const api = createTestServer();
 * const messages = httpContractProvider(api, messagesRoute);
 * testChannelContract('whatsapp', {
 *   createChannel: () => createWhatsAppChannel({ phoneNumberId, accessToken, appSecret }),
 *   sendable: { contact: { id: 'c1', phone: '+79161234567' }, content: { type: 'text', text: 'Привет' } },
 *   sendAttempts: messages.attempts,
 *   success: { script: messages.answer({ json: sendSuccess }), providerMessageId: 'wamid.1' },
 *   errors: { retryable: [{ name: 'HTTP 500', script: messages.answer({ status: 500, json: {} }), statusCode: 500 }], final: [] },
 *   webhook: { valid: () => signedRequest(inbound), badSignature: () => signedRequest(inbound, 'wrong'), malformed: () => signedRequest({}) },
 *   secrets: [accessToken, appSecret],
 * });
 * ```
 */
export function testChannelContract(name: string, fixtures: ChannelContractFixtures): void {
  describe(`channel contract: ${name}`, () => {
    let hub: Omnidealer;
    let channel: Channel;
    let captured: Captured;
    /** Sends the channel's provider saw before the current step. */
    let attemptsBefore = 0;

    const record = (level: string): Logger[keyof Logger] => {
      return (message, data) => captured.logs.push(`${level} ${message} ${safeJson(data)}`);
    };

    beforeEach(async () => {
      captured = { errors: [], logs: [], applied: [] };
      channel = await fixtures.createChannel();
      hub = createOmnidealer({
        channels: [channel],
        logger: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') },
        // Retries run at once: the suite checks whether the hub retries, not how long it waits.
        retry: { retries: 1, minTimeoutMs: 1, maxTimeoutMs: 1, jitter: false, sleep: async () => undefined },
      });
      hub.on('message.failed', ({ message, error }) => {
        captured.errors.push(error, message.error);
      });
      hub.on('message.received', ({ message }) => captured.applied.push(`received ${message.id}`));
      hub.on('message.status', ({ message }) => captured.applied.push(`status ${message.id} ${message.status}`));
      attemptsBefore = await fixtures.sendAttempts();
    });
    afterEach(async () => {
      await hub.shutdown();
      assertNoSecrets([...captured.errors.flatMap((error) => textsOf(error)), ...captured.logs]);
    });

    function assertNoSecrets(texts: string[]): void {
      for (const secret of fixtures.secrets) {
        for (const text of texts) expect(text.includes(secret), `a credential leaked into: ${text.slice(0, 200)}`).toBe(false);
      }
    }

    async function attemptsSinceStart(): Promise<number> {
      return (await fixtures.sendAttempts()) - attemptsBefore;
    }

    it('sends through the hub: the message comes back `sent` with the provider id, after one provider call', async () => {
      await fixtures.success.script();
      const message = await hub.send({ channel: channel.id, ...fixtures.sendable });
      expect(message.status).toBe('sent');
      if (fixtures.success.providerMessageId === undefined) expect(message.providerMessageId).toMatch(/./);
      else expect(message.providerMessageId).toBe(fixtures.success.providerMessageId);
      expect(message.channel).toBe(channel.id);
      expect(await attemptsSinceStart()).toBe(1);
      expect((await hub.store.getMessage(message.id))?.status).toBe('sent');
    });

    async function failingSend(error: ChannelContractError): Promise<ChannelApiError> {
      await error.script();
      const message = await hub.send({ channel: channel.id, ...fixtures.sendable });
      expect(message.status).toBe('failed');
      const typed = captured.errors[0];
      expect(ChannelApiError.isInstance(typed), `${error.name} must become a ChannelApiError, got ${String(typed)}`).toBe(true);
      const apiError = typed as ChannelApiError;
      expect(apiError.channel).toBe(channel.kind);
      if (error.statusCode !== undefined) expect(apiError.statusCode).toBe(error.statusCode);
      if (error.providerCode !== undefined) expect(String(apiError.providerCode)).toBe(String(error.providerCode));
      if (error.retryAfterMs !== undefined) expect(apiError.retryAfterMs).toBe(error.retryAfterMs);
      expect(message.error?.retryable).toBe(apiError.retryable);
      expect(message.error?.code).toBe(apiError.code);
      return apiError;
    }

    describe.each(fixtures.errors.retryable.map((error) => [error.name, error] as const))(
      'retryable provider failure: %s',
      (_name, error) => {
        it('becomes a retryable ChannelApiError carrying channel and status, and the hub retries it', async () => {
          const apiError = await failingSend(error);
          expect(apiError.retryable).toBe(true);
          expect(await attemptsSinceStart()).toBe(2);
        });
      },
    );

    describe.each(fixtures.errors.final.map((error) => [error.name, error] as const))(
      'final provider failure: %s',
      (_name, error) => {
        it('becomes a non-retryable ChannelApiError carrying channel and status, sent once', async () => {
          const apiError = await failingSend(error);
          expect(apiError.retryable).toBe(false);
          expect(await attemptsSinceStart()).toBe(1);
        });
      },
    );

    it('applies a correctly signed webhook (the baseline for the refusals below)', async () => {
      await fixtures.success.script();
      const sent = await hub.send({ channel: channel.id, ...fixtures.sendable });
      expect(sent.status).toBe('sent');
      const response = await hub.handleWebhook(channel.id, await fixtures.webhook.valid(sent));
      expect(response.status).toBeLessThan(300);
      expect(captured.applied.length).toBeGreaterThan(0);
    });

    it('refuses a webhook with a bad signature: 401 from the hub, a typed WebhookError from the channel, nothing applied', async () => {
      const rejected: number[] = [];
      hub.on('webhook.rejected', ({ status }) => rejected.push(status));
      const response = await hub.handleWebhook(channel.id, await fixtures.webhook.badSignature());
      expect(response.status).toBe(401);
      expect(rejected).toEqual([401]);
      expect(captured.applied).toEqual([]);
      assertNoSecrets([await response.text()]);
      const error = await parseError(await fixtures.webhook.badSignature());
      expect(WebhookError.isInstance(error)).toBe(true);
      expect((error as WebhookError).status).toBe(401);
      expect((error as WebhookError).channel).toBe(channel.kind);
    });

    it('refuses a malformed webhook: 400 from the hub, a typed WebhookError from the channel, nothing applied', async () => {
      const response = await hub.handleWebhook(channel.id, await fixtures.webhook.malformed());
      expect(response.status).toBe(400);
      expect(captured.applied).toEqual([]);
      assertNoSecrets([await response.text()]);
      const error = await parseError(await fixtures.webhook.malformed());
      expect(WebhookError.isInstance(error)).toBe(true);
      expect((error as WebhookError).status).toBe(400);
    });

    it('keeps every credential out of error messages, serialized errors, stored failures, webhook answers and logs', async () => {
      const failures = [...fixtures.errors.retryable, ...fixtures.errors.final];
      const stored: string[] = [];
      for (const failure of failures) {
        await failure.script();
        const message = await hub.send({ channel: channel.id, ...fixtures.sendable });
        stored.push(safeJson(await hub.store.getMessage(message.id)));
      }
      const answers = await Promise.all(
        [fixtures.webhook.badSignature(), fixtures.webhook.malformed()].map(async (request) =>
          (await hub.handleWebhook(channel.id, await request)).text(),
        ),
      );
      await parseError(await fixtures.webhook.badSignature());
      await parseError(await fixtures.webhook.malformed());
      expect(captured.errors.filter((error) => error !== undefined).length).toBeGreaterThanOrEqual(failures.length + 2);
      assertNoSecrets([...answers, ...stored, ...captured.errors.flatMap((error) => textsOf(error)), ...captured.logs]);
    });

    /** What the channel's own `parseWebhook` rejects a delivery with. */
    async function parseError(request: Request): Promise<unknown> {
      const body = new Uint8Array(await request.arrayBuffer());
      const error = await channel
        .parseWebhook({ method: request.method, url: new URL(request.url), headers: request.headers, body })
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      captured.errors.push(error);
      return error;
    }
  });
}
