import type { MessageStatus } from '@omnidealer/core';
import type { FallbackTrigger } from './cascade-policy.js';
import type { ExcludedChannel } from './planner.js';

/** Why a cascade moved on from a step. */
export type FallbackReason = FallbackTrigger | 'window_closed' | 'unreachable' | 'rejected';

/** Progress of a campaign, reported after every contact. */
export interface CampaignProgress {
  mailingId: string;
  /** Contacts handled so far. */
  processed: number;
  /** Cascades started (first step sent or deferred). */
  started: number;
  /** Contacts skipped: frequency cap, consent, no reachable channel. */
  skipped: number;
  /** Contacts whose input was invalid or whose cascade threw. */
  errors: number;
}

/** Typed events of a cascade (eventemitter3). Names read as noun.verb. */
export interface CascadeEvents {
  /** A step was handed to the hub. */
  'cascade.step.started': (event: {
    cascadeId: string;
    contactId: string;
    step: number;
    channelId: string;
    costMinor: number;
    campaign: string | undefined;
  }) => void;
  /** Quiet hours made a step wait. */
  'cascade.step.deferred': (event: { cascadeId: string; step: number; channelId: string; notBefore: number }) => void;
  /** A step met its success condition (delivered / read / not failed by the deadline). */
  'cascade.step.succeeded': (event: { cascadeId: string; step: number; channelId: string; status: MessageStatus }) => void;
  /** A status arrived for a step the cascade had already left (a `read` after the fallback): recorded only. */
  'cascade.step.late': (event: { cascadeId: string; step: number; channelId: string; status: MessageStatus }) => void;
  /** The cascade left a step; `to` is the next channel, undefined when none is left. */
  'cascade.fallback': (event: {
    cascadeId: string;
    step: number;
    from: string;
    to: string | undefined;
    reason: FallbackReason;
  }) => void;
  /** The cascade reached the contact. */
  'cascade.completed': (event: { cascadeId: string; contactId: string; channelId: string; spentMinor: number }) => void;
  /** No channel is left to try (or none could be planned at all). */
  'cascade.exhausted': (event: {
    cascadeId: string;
    contactId: string;
    reason: string;
    excluded: ExcludedChannel[];
    spentMinor: number;
  }) => void;
  /** A campaign handled one more contact. */
  'campaign.progress': (event: CampaignProgress) => void;
}
