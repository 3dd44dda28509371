import type { HubContext } from './context.js';
import { storeNamespaces } from './store-namespaces.js';
import type { FrequencyCap, FrequencyClaim, MailingRecord } from './types.js';

const dayMs = 86_400_000;
/** The default cap: one marketing mailing per contact in 30 days (what dealers' mailing rules say). */
export const defaultFrequencyCaps: Readonly<Record<string, FrequencyCap>> = { marketing: { max: 1, windowMs: 30 * dayMs } };
/** Mailing records are kept this long (past any sensible cap window), then dropped as records are claimed. */
const keepMs = 400 * dayMs;

/** The hub's cap for a message kind, if it has one. */
export function frequencyCapOf(hub: HubContext, kind: string): FrequencyCap | undefined {
  return (hub.options.frequencyCaps ?? defaultFrequencyCaps)[kind];
}

/**
 * Claims a place under the contact's frequency cap, atomically in the store: of two mailings started at once for one
 * contact, in one process or several, one gets it. A claim already held by `claimId` is granted again (a cascade's
 * later steps, a retried send). Resolves with why it was refused, or undefined when granted.
 */
export async function claimFrequency(hub: HubContext, contactId: string, claim: FrequencyClaim): Promise<string | undefined> {
  const cap = claim.cap ?? frequencyCapOf(hub, claim.kind);
  if (!cap && claim.campaign === undefined) return undefined;
  const now = hub.clock.now();
  let refusal: string | undefined;
  await hub.store.updateRecord<MailingRecord[]>(storeNamespaces.mailingHistory, contactId, (history) => {
    refusal = undefined;
    const kept = (history ?? []).filter((record) => now - record.at < keepMs);
    if (kept.some((record) => claimOf(record) === claim.claimId)) return history;
    refusal = refusalOf(kept, claim, cap, now);
    if (refusal) return history;
    kept.push({ at: now, kind: claim.kind, ...(claim.campaign ? { campaign: claim.campaign } : {}), claimId: claim.claimId });
    return kept;
  });
  return refusal;
}

/** Gives a claim back (the mailing reached nobody), so a later mailing may go. */
export async function releaseFrequency(hub: HubContext, contactId: string, claimId: string): Promise<void> {
  await hub.store.updateRecord<MailingRecord[]>(storeNamespaces.mailingHistory, contactId, (history) => {
    if (!history?.some((record) => claimOf(record) === claimId)) return history;
    const rest = history.filter((record) => claimOf(record) !== claimId);
    return rest.length ? rest : undefined;
  });
}

/** The mailings a contact got (for plans and reports), oldest first. */
export async function mailingHistory(hub: HubContext, contactId: string): Promise<MailingRecord[]> {
  return (await hub.store.getRecord<MailingRecord[]>(storeNamespaces.mailingHistory, contactId)) ?? [];
}

function claimOf(record: MailingRecord): string | undefined {
  return record.claimId ?? record.cascadeId;
}

function refusalOf(
  history: readonly MailingRecord[],
  claim: FrequencyClaim,
  cap: FrequencyCap | undefined,
  now: number,
): string | undefined {
  if (claim.campaign !== undefined && history.some((record) => record.campaign === claim.campaign))
    return `already received campaign ${claim.campaign}`;
  if (!cap) return undefined;
  let count = 0;
  let last = 0;
  for (const record of history) {
    if (record.kind === claim.kind && now - record.at < cap.windowMs) {
      count++;
      last = Math.max(last, record.at);
    }
  }
  if (count < cap.max) return undefined;
  return `${count} ${claim.kind} message(s) within ${Math.round(cap.windowMs / dayMs)} days (last ${new Date(last).toISOString()})`;
}
