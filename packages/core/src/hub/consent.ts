import { z } from 'zod';
import type { Channel } from '../channel.js';
import { ValidationError } from '../errors/validation-error.js';
import { createId } from '../id.js';
import type { Consent, Contact } from '../model/contact.js';
import { timeKey } from '../store/time-key.js';
import { parseInput } from '../validation.js';
import { rewriteContact } from './contacts.js';
import type { HubContext } from './context.js';
import { storeNamespaces } from './store-namespaces.js';
import type { ConsentChange, ConsentSource } from './types.js';

const setConsentOptionsSchema = z
  .object({
    source: z.string().min(1).max(200),
    at: z.number().int().nonnegative().optional(),
    note: z.string().max(2000).optional(),
  })
  .strict();

/**
 * Sets a contact's consent on a channel (kind, e.g. `sms`, or channel id) — the only way to lift an opt-out — and keeps
 * an audit record of the change. @throws ValidationError for an unknown contact or a missing source
 */
export async function setConsent(
  hub: HubContext,
  contactId: string,
  channel: string,
  state: Consent,
  options: { source: ConsentSource; at?: number; note?: string },
): Promise<Contact> {
  const parsed = parseInput(setConsentOptionsSchema, options, 'options');
  if (!channel) throw new ValidationError({ field: 'channel', message: 'channel must name a channel kind or id' });
  if (!['granted', 'unknown', 'opted_out'].includes(state))
    throw new ValidationError({ field: 'state', message: 'state must be granted, unknown or opted_out' });
  const at = parsed.at ?? hub.clock.now();
  const change = await changeConsent(hub, contactId, [channel], state, { source: parsed.source, at, note: parsed.note });
  if (!change) throw new ValidationError({ field: 'contactId', message: `unknown contact "${contactId}"` });
  return change.contact;
}

/**
 * Records that a contact opted out on these channels (a keyword, a provider's error or status, a bot stopped), keeps the
 * audit record and emits `contact.opted_out` once the change is stored. Nothing happens when already opted out.
 */
export async function recordOptOut(
  hub: HubContext,
  contactId: string,
  channels: readonly string[],
  source: ConsentSource,
  note?: string,
): Promise<void> {
  const at = hub.clock.now();
  const change = await changeConsent(hub, contactId, channels, 'opted_out', { source, at, note });
  if (change && change.changed.length > 0)
    hub.events.emit('contact.opted_out', { contact: change.contact, channels: change.changed, source, at });
}

/** Records consent the person gave by acting (pressing Start through an invite link), with its audit record. */
export async function recordConsent(
  hub: HubContext,
  contactId: string,
  channels: readonly string[],
  source: ConsentSource,
): Promise<void> {
  await changeConsent(hub, contactId, channels, 'granted', { source, at: hub.clock.now() });
}

/** The channels (kinds) an opt-out on `channel` covers under the hub's policy. */
export function optOutScope(hub: HubContext, channel: Channel): string[] {
  if (hub.options.optOut?.scope !== 'all') return [channel.kind];
  return [...new Set([...hub.channels.values()].map((each) => each.kind))];
}

async function changeConsent(
  hub: HubContext,
  contactId: string,
  channels: readonly string[],
  state: Consent,
  audit: { source: string; at: number; note?: string | undefined },
): Promise<{ contact: Contact; changed: string[] } | undefined> {
  let changes: ConsentChange[] = [];
  let found = false;
  const contact = await rewriteContact(hub, contactId, (stored) => {
    changes = [];
    if (!stored) return undefined;
    found = true;
    const consent = { ...stored.consent };
    for (const channel of channels) {
      const previous = consent[channel];
      if (previous === state) continue;
      consent[channel] = state;
      changes.push({
        contactId,
        channel,
        state,
        ...(previous ? { previous } : {}),
        source: audit.source,
        at: audit.at,
        ...(audit.note ? { note: audit.note } : {}),
      });
    }
    return changes.length ? { ...stored, consent } : undefined;
  });
  if (!found || !contact) return undefined;
  // The random part keeps two changes in the same millisecond (two channels, two processes) apart.
  for (const change of changes)
    await hub.store.putRecord(storeNamespaces.consentAudit, `${contactId}:${timeKey(change.at)}:${createId('change')}`, change);
  return { contact, changed: changes.map((change) => change.channel) };
}

/** Every recorded consent change of a contact, oldest first. */
export async function consentHistory(hub: HubContext, contactId: string): Promise<ConsentChange[]> {
  const records = await hub.store.listRecords<ConsentChange>(storeNamespaces.consentAudit, `${contactId}:`);
  return records.map((record) => record.value).sort((a, b) => a.at - b.at);
}

/** Consent rules for a send, before the channel's own checks: a stored opt-out, and consent the kind requires. */
export function consentRefusal(
  hub: HubContext,
  channel: Channel,
  contact: Contact,
  kind: string | undefined,
): { reason: 'opted_out' | 'no_consent'; detail: string } | undefined {
  const consent = contact.consent?.[channel.id] ?? contact.consent?.[channel.kind];
  if (consent === 'opted_out' || contact.consent?.[channel.kind] === 'opted_out')
    return { reason: 'opted_out', detail: `the contact opted out of ${channel.kind}` };
  const required = (hub.options.consentRequired ?? defaultConsentRequired)[kind ?? 'transactional'];
  if (required?.includes(channel.kind) && consent !== 'granted')
    return {
      reason: 'no_consent',
      detail: `${kind} messages on ${channel.kind} need the contact's recorded consent (have ${consent ?? 'none'}); record it with hub.setConsent`,
    };
  return undefined;
}

/** Advertising SMS needs the subscriber's prior consent (Russia: 38-FZ art. 18, 126-FZ art. 44.1). */
export const defaultConsentRequired: Readonly<Record<string, readonly string[]>> = { marketing: ['sms'] };
