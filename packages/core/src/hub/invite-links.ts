import { randomBytes } from 'node:crypto';
import type { Channel, InboundEvent } from '../channel.js';
import { ValidationError } from '../errors/validation-error.js';
import type { Contact } from '../model/contact.js';
import { channelOf, type HubContext } from './context.js';
import { storeNamespaces } from './store-namespaces.js';
import type { InviteLink } from './types.js';

/** How long an invite link works unless the caller says otherwise: a mailing's SMS is usually read within days. */
const defaultInviteTtlMs = 30 * 86_400_000;

/** What the store keeps per invite token. */
interface InviteRecord {
  contactId: string;
  channelId: string;
  createdAt: number;
  expiresAt: number;
  usedAt?: number;
}

/**
 * A deep link that opens a chat with a reply-only messenger's bot and, when the customer presses Start, links their
 * account on it to the contact. The start parameter is an opaque random token (22 characters of base64url: 128 bits,
 * unguessable, within MAX's, Telegram's and VK's limits) kept in the store with the contact and its expiry — no phone
 * number or CRM id travels in the link. @throws ValidationError for an unknown contact or a channel without deep links
 */
export async function createInviteLink(
  hub: HubContext,
  contactId: string,
  channelId: string,
  options: { ttlMs?: number } = {},
): Promise<InviteLink> {
  const channel = channelOf(hub, channelId);
  const inviteLink = channel.inviteLink?.bind(channel);
  if (!inviteLink)
    throw new ValidationError({ channel: channel.kind, field: 'channelId', message: `${channel.id} has no deep links` });
  if (!(await hub.store.getContact(contactId)))
    throw new ValidationError({ field: 'contactId', message: `unknown contact "${contactId}"` });
  const ttlMs = options.ttlMs ?? defaultInviteTtlMs;
  if (!(ttlMs > 0)) throw new ValidationError({ field: 'ttlMs', message: 'ttlMs must be a positive number of ms' });
  const payload = randomBytes(16).toString('base64url');
  const url = inviteLink(payload);
  const now = hub.clock.now();
  const record: InviteRecord = { contactId, channelId: channel.id, createdAt: now, expiresAt: now + ttlMs };
  await hub.store.putRecord(storeNamespaces.invite, payload, record);
  return { url, payload, expiresAt: record.expiresAt };
}

/**
 * The contact a `start` event's payload was issued for, taking the invite once (atomically: a payload used twice, even
 * by two processes at once, links once). Resolves with why it links nothing otherwise.
 */
export async function redeemInvite(
  hub: HubContext,
  channel: Channel,
  event: InboundEvent,
): Promise<{ contact: Contact } | { refused: 'unknown' | 'used' | 'expired' | 'other_channel' }> {
  const payload = event.payload as string;
  const now = hub.clock.now();
  let refused: 'unknown' | 'used' | 'expired' | 'other_channel' | undefined;
  let invite: InviteRecord | undefined;
  await hub.store.updateRecord<InviteRecord>(storeNamespaces.invite, payload, (current) => {
    invite = current;
    refused = !current
      ? 'unknown'
      : current.channelId !== channel.id
        ? 'other_channel'
        : current.usedAt !== undefined
          ? 'used'
          : current.expiresAt <= now
            ? 'expired'
            : undefined;
    return refused || !current ? current : { ...current, usedAt: now };
  });
  const contact = !refused && invite ? await hub.store.getContact(invite.contactId) : undefined;
  if (refused || !contact) {
    const reason = refused ?? 'unknown';
    hub.logger.warn(
      {
        providerMessageId: event.providerMessageId,
      },
      `${channel.id}: a start with an invite payload that links nothing (${reason})`,
    );
    return { refused: reason };
  }
  return { contact };
}
