import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ChannelApiError, WebhookError } from '@omnidealer/core';
import type { WebhookRequest } from '@omnidealer/core/provider-utils';
import { createTestServer } from '@omnidealer/core/test';
import { describe, expect, it } from 'vitest';
import { parseSesWebhook } from './email-bounce-webhook.js';
import { isSnsCertificateUrl, snsStringToSign } from './sns-signature.js';

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
// A self-signed test certificate and its key (generated for these tests; not an AWS key).
const certificate = fixture('sns-test-signing.cert.pem');
const privateKey = fixture('sns-test-signing.key.pem');
const certificateUrl = 'https://sns.eu-central-1.amazonaws.com/SimpleNotificationService-omnidealer-test.pem';

/** A fixture envelope re-signed the way SNS signs it. */
function signed(name: string, version: '1' | '2' = '2', changes: Record<string, string> = {}): Record<string, string> {
  const envelope = { ...JSON.parse(fixture(name)), SignatureVersion: version, SigningCertURL: certificateUrl, ...changes };
  const signer = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
  signer.update(snsStringToSign(envelope));
  return { ...envelope, Signature: signer.sign(privateKey, 'base64') };
}

function request(body: unknown): WebhookRequest {
  return {
    method: 'POST',
    url: new URL('https://hooks.dealer.ru/email'),
    headers: new Headers({ 'content-type': 'text/plain; charset=UTF-8' }),
    body: new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body)),
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('accepted'),
    (caught: unknown) => caught,
  );
}

describe('SNS signature verification (the default without a shared secret)', () => {
  const sns = createTestServer({ [`GET ${certificateUrl}`]: { text: certificate } });
  // A fresh fetcher per test gets a fresh certificate cache.
  const fetcher = () => async (url: string) => (await fetch(url)).text();

  it('accepts notifications signed with SignatureVersion 1 (SHA1) and 2 (SHA256), downloading the certificate once', async () => {
    const fetchSigningCertificate = fetcher();
    const bounce = await parseSesWebhook(request(signed('ses-bounce-permanent.sns.json', '1')), { fetchSigningCertificate });
    const delivery = await parseSesWebhook(request(signed('ses-delivery.sns.json', '2')), { fetchSigningCertificate });
    expect(bounce.events).toMatchObject([{ status: 'failed', error: { code: 'bounced' } }]);
    expect(delivery.events).toMatchObject([{ status: 'delivered' }]);
    expect(sns.callsTo('.pem')).toHaveLength(1);
  });

  it('verifies a SubscriptionConfirmation over its own fields (SubscribeURL, Token)', async () => {
    const fetchSigningCertificate = fetcher();
    const confirmation = signed('sns-subscription-confirmation.json');
    expect(await parseSesWebhook(request(confirmation), { fetchSigningCertificate })).toEqual({ events: [], ignored: 1 });
    const forged = {
      ...confirmation,
      SubscribeURL: 'https://sns.eu-central-1.amazonaws.com/?Action=ConfirmSubscription&Token=evil',
    };
    expect(await rejection(parseSesWebhook(request(forged), { fetchSigningCertificate }))).toMatchObject({ status: 401 });
  });

  it.each([
    ['a changed Message', (e: Record<string, string>) => ({ ...e, Message: e.Message?.replace('Permanent', 'Transient') })],
    ['a changed Subject', (e: Record<string, string>) => ({ ...e, Subject: 'added later' })],
    ['another signature version', (e: Record<string, string>) => ({ ...e, SignatureVersion: '1' })],
    ['an unknown signature version', (e: Record<string, string>) => ({ ...e, SignatureVersion: '3' })],
    ['no Signature', ({ Signature: _, ...e }: Record<string, string>) => e],
    [
      'a signature of other bytes',
      (e: Record<string, string>) => ({ ...e, Signature: Buffer.from('x'.repeat(256)).toString('base64') }),
    ],
  ])('rejects %s with 401', async (_name, tamper) => {
    const error = await rejection(
      parseSesWebhook(request(tamper(signed('ses-bounce-permanent.sns.json'))), { fetchSigningCertificate: fetcher() }),
    );
    expect(error).toSatisfy(WebhookError.isInstance);
    expect(error).toMatchObject({ status: 401, code: 'webhook_signature' });
  });

  it.each([
    'https://evil.example.com/cert.pem',
    'http://sns.eu-central-1.amazonaws.com/cert.pem',
    'https://sns.eu-central-1.amazonaws.com.evil.ru/cert.pem',
    'https://sns.eu-central-1.amazonaws.com:8443/cert.pem',
    'https://sns.eu-central-1.amazonaws.com/?Action=Unsubscribe',
  ])('never downloads a certificate from %s', async (url) => {
    expect(isSnsCertificateUrl(url)).toBe(false);
    const envelope = signed('ses-delivery.sns.json', '2', { SigningCertURL: url });
    const error = await rejection(parseSesWebhook(request(envelope), { fetchSigningCertificate: fetcher() }));
    expect(error).toMatchObject({ status: 401 });
    expect(sns.calls).toHaveLength(0);
  });

  it('rejects raw message delivery (no envelope, no signature) unless a secret protects the endpoint', async () => {
    const raw = fixture('ses-bounce-transient.raw.json');
    expect(await rejection(parseSesWebhook(request(raw), { fetchSigningCertificate: fetcher() }))).toMatchObject({ status: 401 });
  });

  it('reports a failed certificate download as our retryable failure (the hub answers 500, SNS redelivers) and retries it next time', async () => {
    const fetchSigningCertificate = fetcher();
    sns.use(`GET ${certificateUrl}`, [{ status: 503, text: 'unavailable' }, { text: certificate }]);
    const error = await rejection(parseSesWebhook(request(signed('ses-delivery.sns.json')), { fetchSigningCertificate }));
    expect(error).toSatisfy(ChannelApiError.isInstance);
    expect(error).toMatchObject({ retryable: true });
    expect((await parseSesWebhook(request(signed('ses-delivery.sns.json')), { fetchSigningCertificate })).events).toHaveLength(1);
    expect(sns.callsTo('.pem')).toHaveLength(2);
  });
});
