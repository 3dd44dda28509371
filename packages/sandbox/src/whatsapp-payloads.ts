import { createHmac } from 'node:crypto';
import { seededHex } from './random.js';

/** A Graph API error body: `{"error":{message,type,code,error_subcode?,error_data?,fbtrace_id}}`. */
export function whatsAppError(
  seed: number | string,
  error: { message: string; code: number; type?: string; subcode?: number; details?: string; isTransient?: boolean },
): { error: Record<string, unknown> } {
  return {
    error: {
      message: error.message,
      type: error.type ?? 'OAuthException',
      code: error.code,
      ...(error.subcode === undefined ? {} : { error_subcode: error.subcode }),
      ...(error.isTransient === undefined ? {} : { is_transient: error.isTransient }),
      ...(error.details === undefined ? {} : { error_data: { messaging_product: 'whatsapp', details: error.details } }),
      fbtrace_id: `A${seededHex(22, seed, 'fbtrace', error.code, error.message)}`,
    },
  };
}

/**
 * Builds a `wamid.…` id the way Meta's look: base64 of a small binary record holding the recipient's digits and a
 * random part. Deterministic for `(seed, key)`.
 */
export function createWamid(seed: number | string, digits: string, key: string): string {
  const random = seededHex(20, seed, 'wamid', key).toUpperCase();
  const bytes = Buffer.concat([
    Buffer.from([0x1c, 0x18, digits.length]),
    Buffer.from(digits, 'ascii'),
    Buffer.from([0x15, 0x02, 0x00, 0x11, 0x18, 0x12]),
    Buffer.from(random, 'ascii'),
    Buffer.from([0x00]),
  ]);
  return `wamid.${bytes.toString('base64')}`;
}

/** `sha256=<hex>` of HMAC-SHA256 over the raw body with the app secret: the `X-Hub-Signature-256` header value. */
export function signWhatsAppPayload(body: string | Uint8Array, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

/** Wraps `value` in the `whatsapp_business_account` webhook envelope. */
export function whatsAppEnvelope(
  credentials: { wabaId: string; phoneNumberId: string; displayPhoneNumber: string },
  value: Record<string, unknown>,
): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: credentials.wabaId,
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: credentials.displayPhoneNumber, phone_number_id: credentials.phoneNumberId },
              ...value,
            },
            field: 'messages',
          },
        ],
      },
    ],
  };
}

/** Error objects Meta puts into `failed` statuses. */
export const whatsAppStatusErrors: Record<number, { title: string; details: string }> = {
  131026: { title: 'Receiver is incapable of receiving this message', details: 'Message Undeliverable.' },
  131047: {
    title: 'Re-engagement message',
    details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
  },
  131049: {
    title: 'This message was not delivered to maintain healthy ecosystem engagement.',
    details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
  },
  131000: { title: 'Something went wrong', details: 'Message failed to send due to an unknown error.' },
};

/** One `errors[]` entry of a failed status. */
export function whatsAppStatusError(code: number): Record<string, unknown> {
  const known = whatsAppStatusErrors[code] ?? { title: 'Failure', details: 'Message failed to send.' };
  return {
    code,
    title: known.title,
    message: known.title,
    error_data: { details: known.details },
    href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
  };
}
