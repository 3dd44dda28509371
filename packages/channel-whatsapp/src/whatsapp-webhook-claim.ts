import type { WebhookClaim, WebhookRequest } from '@omnidealer/core/provider-utils';
import { timingSafeEqualStrings } from '@omnidealer/core/provider-utils';
import { whatsAppSignatureMatches } from './whatsapp-webhook-signature.js';

/** What {@link claimWhatsAppWebhook} compares a delivery with: one number's settings. */
export interface WhatsAppWebhookClaimOptions {
  /** The number's phone number id; an instance without one claims no message or status. */
  phoneNumberId: string | undefined;
  /** The app secret, to claim account-level changes (template updates) of this number's app. */
  appSecret: string | undefined;
  /** The verify token, to claim the GET verification handshake. */
  verifyToken: string | undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * Which numbers a delivery is for: the `metadata.phone_number_id` of each `entry[].changes[].value`, and whether a
 * change names none (a template status or category update of the business account).
 */
function numbersOf(body: Uint8Array): { numbers: Set<string>; accountLevel: boolean } | undefined {
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(body));
  } catch {
    return undefined;
  }
  const entries = record(json)?.entry;
  if (!Array.isArray(entries)) return undefined;
  const numbers = new Set<string>();
  let accountLevel = false;
  for (const entry of entries) {
    const changes = record(entry)?.changes;
    for (const change of Array.isArray(changes) ? changes : []) {
      const number = record(record(record(change)?.value)?.metadata)?.phone_number_id;
      if (typeof number === 'string' && number) numbers.add(number);
      else accountLevel = true;
    }
  }
  return { numbers, accountLevel };
}

/**
 * Says whether a delivery on the shared WhatsApp route (`/hooks/whatsapp`, one Meta app's webhook for all its
 * numbers) is this number's. A POST is, when one of its changes carries this `metadata.phone_number_id` (one delivery
 * may carry entries of several numbers: each number's channel keeps its own), or when it carries account-level
 * changes (template updates) signed with this number's app secret. The GET handshake is, when its `hub.verify_token`
 * is this number's. The other phone number ids named are listed in `others`, so the hub can refuse those no channel
 * holds. Never throws; the signature of a claimed delivery is verified by `parseWhatsAppWebhook`.
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components
 */
export function claimWhatsAppWebhook(request: WebhookRequest, options: WhatsAppWebhookClaimOptions): WebhookClaim {
  if (request.method.toUpperCase() === 'GET') {
    const token = request.url.searchParams.get('hub.verify_token');
    return { mine: Boolean(options.verifyToken && token !== null && timingSafeEqualStrings(token, options.verifyToken)) };
  }
  const read = numbersOf(request.body);
  if (!read) return { mine: false };
  const own = options.phoneNumberId || undefined;
  const others = [...read.numbers].filter((number) => number !== own);
  const mine =
    (own !== undefined && read.numbers.has(own)) ||
    (read.accountLevel && whatsAppSignatureMatches(request.body, request.headers.get('x-hub-signature-256'), options.appSecret));
  return { mine, others };
}
