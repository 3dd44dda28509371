import type { Consent, Contact } from '../model/contact.js';

/** `stored` updated with what the caller passed (identities merged, not replaced; consent as mergeConsent says). */
export function mergeContact(stored: Contact | undefined, contact: Contact): Contact {
  // Object.assign rather than spread syntax: much cheaper on Node 20 for objects that gain keys (see withStatus).
  const merged: Contact = stored ? Object.assign({}, stored, contact) : contact;
  if (stored?.identities && contact.identities) merged.identities = Object.assign({}, stored.identities, contact.identities);
  // A consent map never lifts a stored opt-out (see mergeConsent).
  if (stored?.consent && contact.consent) merged.consent = mergeConsent(stored.consent, contact.consent);
  return merged;
}

/**
 * The consent a contact keeps when a caller passes a consent map (with a send or an upsert): the map may add consent
 * where none is stored, and may opt a contact out, but never replaces a stored opt-out — only
 * `hub.setConsent` lifts one, with a source kept for audit. Resolves with `stored` itself when nothing changes.
 */
export function mergeConsent(stored: Contact['consent'], input: Contact['consent']): Contact['consent'] {
  if (!input) return stored;
  if (!stored) return input;
  let merged: Record<string, Consent> | undefined;
  for (const channel in input) {
    const next = input[channel] as Consent;
    const current = stored[channel];
    if (current === next) continue;
    const takes = current === undefined || current === 'unknown' || next === 'opted_out';
    if (!takes) continue;
    merged ??= { ...stored };
    merged[channel] = next;
  }
  return merged ?? stored;
}
