import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { ChannelApiError, WebhookError } from '@omnidealer/core';

/** The SNS envelope fields that take part in the signature. */
export interface SignedSnsEnvelope {
  Type: string;
  Message?: string | null | undefined;
  MessageId?: string | null | undefined;
  Subject?: string | null | undefined;
  SubscribeURL?: string | null | undefined;
  Timestamp?: string | null | undefined;
  Token?: string | null | undefined;
  TopicArn?: string | null | undefined;
  SignatureVersion?: string | null | undefined;
  Signature?: string | null | undefined;
  SigningCertURL?: string | null | undefined;
}

/** Downloads a signing certificate (PEM). The default uses `fetch` with a 5 s timeout. */
export type SnsCertificateFetcher = (url: string) => Promise<string>;

/** A regional Amazon SNS endpoint (`sns.<region>.amazonaws.com`, `.com.cn` in China): the only host SNS links point to. */
export function isSnsHost(hostname: string): boolean {
  return /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(hostname);
}

/** Where the certificate may come from: HTTPS, an SNS host, a `.pem` path. */
export function isSnsCertificateUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === 'https:' && !url.port && isSnsHost(url.hostname) && url.pathname.endsWith('.pem');
}

/** The string SNS signs: `name\nvalue\n` for each signed field present, in this order. */
export function snsStringToSign(envelope: SignedSnsEnvelope): string {
  const fields: ReadonlyArray<keyof SignedSnsEnvelope> =
    envelope.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  let text = '';
  for (const field of fields) {
    const value = envelope[field];
    if (value === undefined || value === null) {
      if (field === 'Subject') continue; // the only optional signed field
      throw new Error(field);
    }
    text += `${field}\n${value}\n`;
  }
  return text;
}

async function fetchCertificate(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000), redirect: 'error' });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.text();
}

/**
 * Creates a verifier of SNS message signatures (SignatureVersion 1: RSA-SHA1, 2: RSA-SHA256). Certificates are
 * downloaded only from SNS hosts over HTTPS and cached per URL (SNS rotates them rarely), so a forged
 * `SigningCertURL` can neither pass nor make the endpoint fetch arbitrary URLs.
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
 */
export function createSnsSignatureVerifier(
  fetcher: SnsCertificateFetcher = fetchCertificate,
): (envelope: SignedSnsEnvelope, channel: string) => Promise<void> {
  const keys = new Map<string, Promise<KeyObject>>();
  const reject = (channel: string, message: string): never => {
    throw new WebhookError({ channel, kind: 'signature', message: `SNS signature: ${message}` });
  };
  return async (envelope, channel) => {
    const algorithm =
      envelope.SignatureVersion === '1' ? 'RSA-SHA1' : envelope.SignatureVersion === '2' ? 'RSA-SHA256' : undefined;
    if (!algorithm) return reject(channel, `unsupported SignatureVersion ${JSON.stringify(envelope.SignatureVersion ?? null)}`);
    if (!envelope.Signature) return reject(channel, 'missing Signature');
    const certificateUrl = envelope.SigningCertURL ?? '';
    if (!isSnsCertificateUrl(certificateUrl))
      return reject(channel, 'SigningCertURL is not an https://sns.<region>.amazonaws.com/….pem URL');
    let text: string;
    try {
      text = snsStringToSign(envelope);
    } catch (error) {
      return reject(channel, `missing signed field ${(error as Error).message}`);
    }
    let key = keys.get(certificateUrl);
    if (!key) {
      key = fetcher(certificateUrl).then((pem) => createPublicKey(pem));
      keys.set(certificateUrl, key);
      // A failed download is not cached: the next delivery (SNS retries) tries again.
      key.catch(() => keys.delete(certificateUrl));
    }
    let publicKey: KeyObject;
    try {
      publicKey = await key;
    } catch (error) {
      // Our failure, not the sender's: the hub answers 500 and SNS redelivers later.
      throw new ChannelApiError({
        channel,
        retryable: true,
        message: `SNS signature: cannot load the signing certificate (${(error as Error).message})`,
        cause: error,
      });
    }
    if (!verify(algorithm, Buffer.from(text, 'utf8'), publicKey, Buffer.from(envelope.Signature, 'base64'))) {
      reject(channel, 'does not match');
    }
  };
}
