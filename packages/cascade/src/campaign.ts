import type { ContactInput } from '@omnidealer/core';
import type { CascadeContent, NormalizedContent } from './cascade-content.js';
import type { CampaignProgress } from './cascade-events.js';
import type { CascadeState } from './cascade-state.js';

/** What {@link Cascade.campaign} takes. */
export interface CampaignInput {
  /** The mailing's id: a contact never gets the same mailing twice (it is the cascades' idempotency scope). */
  mailingId: string;
  /** The recipients: an array, any iterable, or an async iterable (a CRM cursor). */
  contacts: Iterable<ContactInput> | AsyncIterable<ContactInput>;
  /** One content for everybody, or a function personalising it per contact. */
  content: CascadeContent | NormalizedContent | ((contact: ContactInput) => CascadeContent | NormalizedContent);
  /** Cascade kind for frequency caps and consent. @default 'marketing' */
  kind?: string;
  /** Contacts handled at once. @default 4 */
  concurrency?: number;
  /** E-mail subject when a text is rendered as an e-mail. */
  subject?: string;
  /** Spending limit for the whole campaign in minor units (overrides the policy's `perCampaignMinor`). */
  budgetMinor?: number;
  /** Called after every contact. */
  onProgress?: (progress: CampaignProgress) => void;
  /** Stops taking new contacts when aborted; cascades already started keep running. */
  signal?: AbortSignal;
}

/** What a campaign run returns once every contact was handled (or it was cancelled). */
export interface CampaignResult extends CampaignProgress {
  /** True when the signal stopped it before the last contact. */
  cancelled: boolean;
  /** Ids of the cascades started or skipped, in completion order. */
  cascadeIds: string[];
}

/** Sends one contact of a campaign; the cascade supplies it. */
export type CampaignSender = (contact: ContactInput, content: CascadeContent | NormalizedContent) => Promise<CascadeState>;

/**
 * Runs a campaign over a (possibly async) list of contacts with bounded concurrency, progress and cancellation.
 * Each contact is one cascade whose idempotency key is `<mailingId>:<contact id>`, so re-running a campaign after
 * a crash never sends twice.
 */
export async function runCampaign(
  input: CampaignInput,
  sendOne: CampaignSender,
  emitProgress: (progress: CampaignProgress) => void,
): Promise<CampaignResult> {
  const progress: CampaignProgress = { mailingId: input.mailingId, processed: 0, started: 0, skipped: 0, errors: 0 };
  const cascadeIds: string[] = [];
  const iterator: Iterator<ContactInput> | AsyncIterator<ContactInput> =
    Symbol.asyncIterator in input.contacts
      ? (input.contacts as AsyncIterable<ContactInput>)[Symbol.asyncIterator]()
      : (input.contacts as Iterable<ContactInput>)[Symbol.iterator]();
  let cancelled = false;
  let done = false;
  const next = async (): Promise<ContactInput | undefined> => {
    if (done) return undefined;
    if (input.signal?.aborted) {
      cancelled = true;
      done = true;
      return undefined;
    }
    const result = await iterator.next();
    if (result.done) {
      done = true;
      return undefined;
    }
    return result.value;
  };

  const worker = async () => {
    for (;;) {
      const contact = await next();
      if (contact === undefined) return;
      try {
        const content = typeof input.content === 'function' ? input.content(contact) : input.content;
        const state = await sendOne(contact, content);
        cascadeIds.push(state.id);
        if (state.steps.length > 0) progress.started++;
        else progress.skipped++;
      } catch {
        progress.errors++;
      }
      progress.processed++;
      const snapshot = { ...progress };
      input.onProgress?.(snapshot);
      emitProgress(snapshot);
    }
  };
  const concurrency = Math.max(1, input.concurrency ?? 4);
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (cancelled) await (iterator as AsyncIterator<ContactInput>).return?.();
  return { ...progress, cancelled, cascadeIds };
}
