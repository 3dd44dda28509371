import type { Contact, MessageContent, MessageStatus } from '@omnidealer/core';
import type { NormalizedContent } from './cascade-content.js';
import type { FallbackCondition } from './cascade-policy.js';
import type { CascadePlan, ExcludedChannel } from './planner.js';

/** Where one step of a running cascade stands. */
export type CascadeStepStatus =
  /** Waiting for quiet hours to end (`notBefore`). */
  | 'deferred'
  /** Handed to the hub, waiting for its status or deadline. */
  | 'waiting'
  /** The step's success condition was met. */
  | 'succeeded'
  /** The send failed (at once or by a later status). */
  | 'failed'
  /** The deadline passed without the success condition. */
  | 'timed_out';

/** One step of a cascade as stored. */
export interface CascadeStepRecord {
  index: number;
  channelId: string;
  content: MessageContent;
  /** Estimated price in minor units, from the plan. */
  costMinor: number;
  currency: string;
  condition: FallbackCondition;
  status: CascadeStepStatus;
  /** The hub message id, once sent. */
  messageId?: string;
  startedAt?: number;
  /** When the cascade moves on if the success condition is not met. */
  deadline?: number;
  /** Quiet hours: the step starts no earlier than this. */
  notBefore?: number;
  /** The last status seen for the step's message. */
  outcome?: MessageStatus;
  /** Error code when the step failed. */
  error?: string;
  /** An invite link appended to this step's text (channel acquisition): to which channel, its token and extra cost. */
  invite?: { channelId: string; payload: string; extraCostMinor: number };
  /** Statuses that arrived after the cascade had moved on (a `read` after the fallback): recorded, never acted on. */
  late?: Array<{ status: MessageStatus; at: number }>;
}

/** Where a cascade stands. */
export type CascadeStatus = 'running' | 'succeeded' | 'exhausted' | 'cancelled';

/** Per-cascade state kept in the store (namespace `cascade.run`), so any process can resume it. */
export interface CascadeState {
  id: string;
  /** Store key: `<campaign or ->/<id>`, so a campaign's cascades list by prefix. */
  key: string;
  contact: Contact;
  content: NormalizedContent;
  kind: string;
  campaign?: string;
  /** The branch whose channels the cascade uses, when the send named one (else the contact's home branch). */
  branchId?: string;
  /** Per-message budget in minor units. */
  budgetMinor?: number;
  status: CascadeStatus;
  steps: CascadeStepRecord[];
  /** The plan made when the cascade started. */
  plan: CascadePlan;
  /** Sum of the estimated prices of steps the providers accepted, in minor units. */
  spentMinor: number;
  currency: string;
  /** What sending this content by SMS alone would have cost (the baseline channel's `estimateCost`). */
  baselineMinor?: number;
  /**
   * What the first step of a fixed channel order (the policy's `preference`, then the hub's order) would have cost:
   * a lower bound of that order's spend, since its fallbacks are not known.
   */
  fixedOrderFirstStepMinor?: number;
  /** Channels left out when the cascade ran out of steps. */
  exhausted?: { reason: string; excluded: ExcludedChannel[] };
  createdAt: number;
  updatedAt: number;
}
