import { parseInput } from '@omnidealer/core/provider-utils';
import { z } from 'zod';

/**
 * Longest `ref` this package puts in a link. VK publishes no limit for `ref`; 128 characters of `A–Z a–z 0–9 _ -` need
 * no URL encoding and hold the hub's invite tokens (22 characters) with room to spare. Encode anything else as base64url.
 */
export const VK_REF_LIMIT = 128;

const refSchema = z
  .string()
  .min(1, 'the ref must not be empty')
  .max(VK_REF_LIMIT, `use at most ${VK_REF_LIMIT} characters`)
  .regex(/^[A-Za-z0-9_-]+$/, 'use only A-Z, a-z, 0-9, _ and - (base64url-encode anything else)');

/** A community's short name (`dealer_club`), or its numeric id (→ `club<id>`, the address every community has). */
const communitySchema = z
  .union([z.number().int().positive(), z.string().min(1)])
  .transform((value) => (typeof value === 'number' || /^\d+$/.test(value) ? `club${value}` : value.replace(/^@/, '')))
  .pipe(z.string().regex(/^[A-Za-z0-9_.]{2,64}$/, 'not a VK community short name or id'));

/**
 * Builds the link that opens the dialog with a community: `https://vk.me/<community>?ref=<payload>`. When the user
 * opens it and presses Start («Начать»), the `message_new` carries `ref` (and `ref_source` when the link had one), which
 * the channel turns into an inbound event of `kind: 'start'` with `payload` = the ref — the way to link a VK user to a
 * CRM contact (`hub.inviteLink(contactId, 'vk')` puts a one-time token there and redeems it on `start`).
 * @throws ValidationError when the community is malformed, or the payload is empty, over {@link VK_REF_LIMIT}
 * characters, or has characters other than `A–Z a–z 0–9 _ -`.
 * @example
 * vkDeepLink('dealer_club', 'c_8f3k2m'); // https://vk.me/dealer_club?ref=c_8f3k2m
 * vkDeepLink(229010001);                 // https://vk.me/club229010001
 * const { url } = await hub.inviteLink(contact.id, 'vk'); // the same link with a one-time token
 * @see https://dev.vk.com/ru/api/bots/development/messages
 */
export function vkDeepLink(community: string | number, payload?: string): string {
  const name = parseInput(communitySchema, community, 'community', 'vk');
  if (payload === undefined) return `https://vk.me/${name}`;
  const ref = parseInput(refSchema, payload, 'payload', 'vk');
  return `https://vk.me/${name}?ref=${ref}`;
}
