import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookError } from '@omnidealer/core';

const encoder = new TextEncoder();

/** Compares two strings in time independent of where they differ. */
function constantTimeEqual(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  if (left.length !== right.length) return false;
  let difference = 0;
  for (let index = 0; index < left.length; index += 1) difference |= (left[index] as number) ^ (right[index] as number);
  return difference === 0;
}

/**
 * Computes the `X-Hub-Signature-256` header value (`sha256=<hex>`) Meta sends for a body: for tests and local
 * replays of webhook deliveries.
 * @example
 * const body = JSON.stringify(payload);
 * const request = new Request(url, { method: 'POST', body, headers: { 'x-hub-signature-256': await signWhatsAppWebhook(body, appSecret) } });
 */
export async function signWhatsAppWebhook(body: string | Uint8Array, appSecret: string): Promise<string> {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

/**
 * Verifies `X-Hub-Signature-256` over the raw bytes with the app secret (HMAC-SHA256, compared in constant time).
 * The HMAC runs synchronously with `node:crypto`: for a webhook-sized body that is a few microseconds, where Web
 * Crypto's `verify` costs a round trip through the thread pool.
 * @throws WebhookError (`signature`, answered 401) when the header is missing, not `sha256=<64 hex>`, or wrong.
 * @see https://developers.facebook.com/docs/graph-api/webhooks/getting-started#event-notifications
 */
export async function verifyWhatsAppSignature(
  body: Uint8Array,
  header: string | null,
  appSecret: string | undefined,
  channel = 'whatsapp',
): Promise<void> {
  const reject = (message: string) => new WebhookError({ channel, kind: 'signature', message: `whatsapp webhook: ${message}` });
  if (!appSecret) throw reject('app secret is not configured; refusing unsigned deliveries');
  if (!header) throw reject('missing X-Hub-Signature-256 header');
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match) throw reject('X-Hub-Signature-256 is not sha256=<hex>');
  const expected = createHmac('sha256', appSecret).update(body).digest();
  if (!timingSafeEqual(expected, Buffer.from(match[1] as string, 'hex'))) throw reject('signature does not match the body');
}

/**
 * Whether `X-Hub-Signature-256` is the app secret's HMAC-SHA256 of the raw bytes (compared in constant time); false
 * when the header or the secret is missing. {@link verifyWhatsAppSignature} says why it is not.
 */
export function whatsAppSignatureMatches(body: Uint8Array, header: string | null, appSecret: string | undefined): boolean {
  const match = header ? /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim()) : null;
  if (!appSecret || !match) return false;
  return timingSafeEqual(createHmac('sha256', appSecret).update(body).digest(), Buffer.from(match[1] as string, 'hex'));
}

/**
 * Answers Meta's verification handshake (`GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`):
 * 200 with the challenge as plain text when the token matches, otherwise 403.
 * @see https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests
 */
export function answerWhatsAppVerification(url: URL, verifyToken: string | undefined): Response {
  const mode = url.searchParams.get('hub.mode');
  const token = url.searchParams.get('hub.verify_token');
  const challenge = url.searchParams.get('hub.challenge');
  if (mode === 'subscribe' && verifyToken && token !== null && challenge !== null && constantTimeEqual(token, verifyToken)) {
    return new Response(challenge, { status: 200, headers: { 'content-type': 'text/plain' } });
  }
  return new Response('forbidden', { status: 403, headers: { 'content-type': 'text/plain' } });
}
