import { parseInput } from '@omnidealer/core/provider-utils';
import { z } from 'zod';

/** What makes the cascade move on from a step: the step failed, was not delivered, or was not read in time. */
export type FallbackTrigger = 'failed' | 'not_delivered' | 'not_read';

/**
 * When a step counts as a success and when the cascade moves on from it.
 * - `failed`: success unless the message fails within `withinMs` (e-mail: a bounce).
 * - `not_delivered`: success once delivered; fall back if not delivered within `withinMs`.
 * - `not_read`: success once read; fall back if not read within `withinMs` (WhatsApp: 24 h).
 * A failure always falls back at once, whatever the trigger.
 */
export interface FallbackCondition {
  after: FallbackTrigger;
  /** Deadline after the send, in milliseconds. */
  withinMs: number;
}

/** Hours in the contact's local time when no step is started (a step due then waits until `to`). */
export interface QuietHours {
  /** Local time the quiet period starts, `HH:MM`. @default '21:00' */
  from: string;
  /** Local time the quiet period ends, `HH:MM`. @default '09:00' */
  to: string;
  /** Channel ids or kinds quiet hours do not apply to. @default ['email'] */
  exempt?: string[];
  /** `defer` plans the step for the end of the quiet period; `exclude` leaves the channel out. @default 'defer' */
  mode?: 'defer' | 'exclude';
}

/** At most `max` cascades of one kind to one contact within `windowMs`. */
export interface FrequencyCap {
  max: number;
  windowMs: number;
}

/** `granted`: the contact must have granted consent on the channel; `not_opted_out`: anything but an opt-out. */
export type ConsentRule = 'granted' | 'not_opted_out';

/** How candidate steps are ordered: by expected cost to reach (default), or only by the declared preference. */
export type Ordering = 'expected_cost' | 'preference';

/**
 * The rules a cascade plans and runs by. Every field is optional; channel-keyed maps accept a channel id
 * (`whatsapp-service`) or a channel kind (`whatsapp`), the id winning.
 * @example
 * const policy: CascadePolicy = {
 *   preference: ['email', 'whatsapp', 'sms'],
 *   fallback: { whatsapp: { after: 'not_read', withinMs: 24 * 3600_000 } },
 *   frequencyCaps: { marketing: { max: 1, windowMs: 30 * 86_400_000 } },
 *   budget: { perMessageMinor: 2000 },
 * };
 */
export interface CascadePolicy {
  /** Channel ids or kinds in the order of preference; breaks ties in expected cost. @default the hub's channel order */
  preference?: string[];
  /** @default 'expected_cost' */
  ordering?: Ordering;
  /** Divide each price by the channel's reach probability for this contact. @default true */
  weightByReach?: boolean;
  /** Prior reach probability per channel id or kind, before anything is known about the contact. @default 0.9 */
  reachPrior?: Record<string, number>;
  /**
   * How many observations the prior (the base's aggregate on the channel) is worth against the contact's own counts:
   * lower learns faster from one campaign, higher keeps one lucky read from flipping a contact. @default 1
   */
  reachPriorWeight?: number;
  /** How many observations `reachPrior` is worth against the base's aggregate on the channel. @default 20 */
  basePriorWeight?: number;
  /** Half-life of a contact's reach history: evidence this old counts half. @default 180 days */
  reachHalfLifeMs?: number;
  /**
   * Leave a channel out (`unlikely_to_reach`) when the contact's own history (not the prior) puts its reach below this:
   * a dead number's SMS, a messenger they never read. The history fades (`reachHalfLifeMs`), so the channel is tried
   * again later. `0` never leaves one out. @default 0.2
   */
  skipBelowReach?: number;
  /**
   * Leave a channel out (`unlikely_to_reach`) for `permanentFailureMemoryMs` after it failed this many times for the
   * contact and never succeeded, twice as long after each further failure: a dead SMS number fails without a reason
   * the provider calls permanent, and an SMS is billed once accepted, so every retry is paid. `0` never gives up.
   * @default 2
   */
  failuresToGiveUp?: number;
  /** Lower bound of a reach probability, so a channel never costs infinity. @default 0.05 */
  minReachProbability?: number;
  /** How long a permanent failure (`not_on_channel`, `bounced`, `opted_out`, `blocked`) excludes a channel. @default 180 days */
  permanentFailureMemoryMs?: number;
  /** Fallback condition per channel id or kind. @default whatsapp/avito `not_read` 24 h, sms `not_delivered` 24 h, email, max, telegram and vk `failed` 24 h */
  fallback?: Record<string, FallbackCondition>;
  /** Fallback condition for channels not named in `fallback`. @default `not_delivered` within 24 h */
  defaultFallback?: FallbackCondition;
  /** Most channels one cascade tries. @default 3 */
  maxSteps?: number;
  /** Spending limits in minor units (kopecks). */
  budget?: { perMessageMinor?: number; perCampaignMinor?: number };
  /** Quiet hours in the contact's time zone, or `false` for none. @default 21:00–09:00, e-mail exempt */
  quietHours?: QuietHours | false;
  /** Time zone of contacts without one. @default 'Europe/Moscow' */
  defaultTimeZone?: string;
  /** Caps per cascade kind. @default `{ marketing: { max: 1, windowMs: 30 days } }` */
  frequencyCaps?: Record<string, FrequencyCap>;
  /** Consent rule per cascade kind. @default marketing `granted`, anything else `not_opted_out` */
  consent?: Record<string, ConsentRule>;
  /** Invite contacts to a free channel by a deep link in the SMS sent anyway (see {@link AcquisitionPolicy}). */
  acquisition?: AcquisitionPolicy;
  /** Channel id or kind the savings in reports are measured against. @default the first channel of kind `sms` */
  baselineChannel?: string;
  /**
   * Which channels of a dealer group a contact is sent on (see the hub's `branches`). `branch`: for a contact with a
   * home branch (`contact.branchId`, or the send's `branchId`), the channels bound to that branch plus the group's
   * (bound to no branch) — a customer of the north showroom never gets the south's WhatsApp number. `group`: every
   * channel. Contacts without a branch always use every channel. @default 'branch'
   */
  branchScope?: 'branch' | 'group';
}

/**
 * Channel acquisition: bring contacts to a free channel (a MAX bot) with a deep link in an SMS the cascade sends
 * anyway, reasoning like an investor (see `decideInvite`). A link that fits in the SMS's last segment costs nothing
 * and always goes. A paid one goes when this contact's take rate × the mailings left in the `horizon` × the SMS's
 * price (what a linked contact no longer costs) covers the extra segment `paybackMultiple` times. The take rate is learned: the base's links
 * ÷ invites so far, shrunk towards `takeRate`, and lower for a contact after each invite they ignored. The horizon
 * counts from the contact's first mailing (the hub's mailing history), so the first mailings carry the longest
 * payback and invites concentrate there.
 * @example
 * const policy: CascadePolicy = { acquisition: { channel: 'max', prefix: 'Пишите нам в MAX: ' } };
 */
export interface AcquisitionPolicy {
  /** The channel id to invite to; it must offer deep links (`inviteLink`) and be one of the cascade's channels. */
  channel: string;
  /** Mailings a link's savings are counted over, from the contact's first mailing. @default 12 */
  horizon?: number;
  /** Expected share of invited contacts who link, before the base's own invites say otherwise. @default 0.05 */
  takeRate?: number;
  /** How many invites `takeRate` is worth against the base's own links ÷ invites. @default 200 */
  takeRateWeight?: number;
  /**
   * Ignored invites after which a contact is half as likely to link as the base (a third after twice as many):
   * someone who let invites pass is likelier not to be on the messenger. @default 2
   */
  ignoredInvitesToHalve?: number;
  /**
   * How many times its extra cost a paid invite's expected savings must be: an investor's margin over break-even for
   * what the estimate does not know (contacts leaving the base, a take rate that drifts). `1`: break-even. @default 1.5
   */
  paybackMultiple?: number;
  /** Text before the link, on a new line after the message. @default '' */
  prefix?: string;
  /**
   * A hard cap on paid invites per contact, on top of the payback rule (free ones are not capped). @default none: the
   * payback rule alone
   */
  maxInvitesPerContact?: number;
}

/** {@link AcquisitionPolicy} with its defaults applied. */
export type ResolvedAcquisition = Required<Omit<AcquisitionPolicy, 'maxInvitesPerContact'>> & {
  maxInvitesPerContact: number | undefined;
};

/** A policy with every default applied; built once by {@link resolvePolicy} and cached per policy object. */
export interface ResolvedPolicy {
  preference: string[];
  ordering: Ordering;
  weightByReach: boolean;
  reachPrior: Record<string, number>;
  reachPriorWeight: number;
  basePriorWeight: number;
  reachHalfLifeMs: number;
  skipBelowReach: number;
  minReachProbability: number;
  failuresToGiveUp: number;
  permanentFailureMemoryMs: number;
  fallback: Record<string, FallbackCondition>;
  defaultFallback: FallbackCondition;
  maxSteps: number;
  budget: { perMessageMinor?: number; perCampaignMinor?: number };
  quietHours: { fromMinute: number; toMinute: number; exempt: string[]; mode: 'defer' | 'exclude' } | undefined;
  defaultTimeZone: string;
  frequencyCaps: Record<string, FrequencyCap>;
  consent: Record<string, ConsentRule>;
  baselineChannel: string | undefined;
  acquisition: ResolvedAcquisition | undefined;
  branchScope: 'branch' | 'group';
}

/** One hour in milliseconds. */
export const HOUR_MS = 3_600_000;
/** One day in milliseconds. */
export const DAY_MS = 24 * HOUR_MS;

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM');
const fallbackConditionSchema = z
  .object({ after: z.enum(['failed', 'not_delivered', 'not_read']), withinMs: z.number().int().positive() })
  .strict();
const frequencyCapSchema = z.object({ max: z.number().int().nonnegative(), windowMs: z.number().int().positive() }).strict();

/** zod schema of {@link CascadePolicy} (strict: unknown fields are errors naming the field). */
export const cascadePolicySchema = z
  .object({
    preference: z.array(z.string().min(1)).optional(),
    ordering: z.enum(['expected_cost', 'preference']).optional(),
    weightByReach: z.boolean().optional(),
    reachPrior: z.record(z.string(), z.number().min(0).max(1)).optional(),
    reachPriorWeight: z.number().nonnegative().optional(),
    basePriorWeight: z.number().nonnegative().optional(),
    reachHalfLifeMs: z.number().int().nonnegative().optional(),
    skipBelowReach: z.number().min(0).max(1).optional(),
    minReachProbability: z.number().gt(0).max(1).optional(),
    failuresToGiveUp: z.number().int().nonnegative().optional(),
    permanentFailureMemoryMs: z.number().int().nonnegative().optional(),
    fallback: z.record(z.string(), fallbackConditionSchema).optional(),
    defaultFallback: fallbackConditionSchema.optional(),
    maxSteps: z.number().int().min(1).optional(),
    budget: z
      .object({
        perMessageMinor: z.number().int().nonnegative().optional(),
        perCampaignMinor: z.number().int().nonnegative().optional(),
      })
      .strict()
      .optional(),
    quietHours: z
      .union([
        z.literal(false),
        z
          .object({
            from: clockTime,
            to: clockTime,
            exempt: z.array(z.string()).optional(),
            mode: z.enum(['defer', 'exclude']).optional(),
          })
          .strict(),
      ])
      .optional(),
    defaultTimeZone: z.string().min(1).optional(),
    frequencyCaps: z.record(z.string(), frequencyCapSchema).optional(),
    consent: z.record(z.string(), z.enum(['granted', 'not_opted_out'])).optional(),
    baselineChannel: z.string().min(1).optional(),
    branchScope: z.enum(['branch', 'group']).optional(),
    acquisition: z
      .object({
        channel: z.string().min(1),
        horizon: z.number().int().positive().optional(),
        takeRate: z.number().min(0).max(1).optional(),
        takeRateWeight: z.number().nonnegative().optional(),
        ignoredInvitesToHalve: z.number().nonnegative().optional(),
        paybackMultiple: z.number().nonnegative().optional(),
        prefix: z.string().max(200).optional(),
        maxInvitesPerContact: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const defaultFallbacks: Record<string, FallbackCondition> = {
  whatsapp: { after: 'not_read', withinMs: DAY_MS },
  avito: { after: 'not_read', withinMs: DAY_MS },
  // MAX reports no delivery or read to bots: a sent message is as far as it goes, so only a failure falls back.
  max: { after: 'failed', withinMs: DAY_MS },
  // Telegram neither: the Bot API has no delivery or read receipts.
  telegram: { after: 'failed', withinMs: DAY_MS },
  // VK: the channel reports no delivery or read either (the Callback API's `message_read` is not mapped yet).
  vk: { after: 'failed', withinMs: DAY_MS },
  sms: { after: 'not_delivered', withinMs: DAY_MS },
  email: { after: 'failed', withinMs: DAY_MS },
};

const minutesOf = (time: string): number => {
  const [hours, minutes] = time.split(':');
  return Number(hours) * 60 + Number(minutes);
};

const resolved = new WeakMap<CascadePolicy, ResolvedPolicy>();
let defaultResolved: ResolvedPolicy | undefined;

/**
 * Validates a policy and applies the defaults. Cached per policy object, so the planner pays for it once.
 * @throws ValidationError naming the field (`policy.fallback.whatsapp.withinMs`) when the policy is malformed.
 */
export function resolvePolicy(policy?: CascadePolicy): ResolvedPolicy {
  if (!policy) return (defaultResolved ??= build({}));
  const cached = resolved.get(policy);
  if (cached) return cached;
  parseInput(cascadePolicySchema, policy, 'policy');
  const result = build(policy);
  resolved.set(policy, result);
  return result;
}

function build(policy: CascadePolicy): ResolvedPolicy {
  const quiet = policy.quietHours === undefined ? { from: '21:00', to: '09:00' } : policy.quietHours;
  return {
    preference: policy.preference ?? [],
    ordering: policy.ordering ?? 'expected_cost',
    weightByReach: policy.weightByReach ?? true,
    reachPrior: policy.reachPrior ?? {},
    reachPriorWeight: policy.reachPriorWeight ?? 0.5,
    basePriorWeight: policy.basePriorWeight ?? 20,
    reachHalfLifeMs: policy.reachHalfLifeMs ?? 180 * DAY_MS,
    skipBelowReach: policy.skipBelowReach ?? 0.2,
    minReachProbability: policy.minReachProbability ?? 0.05,
    failuresToGiveUp: policy.failuresToGiveUp ?? 2,
    permanentFailureMemoryMs: policy.permanentFailureMemoryMs ?? 180 * DAY_MS,
    fallback: { ...defaultFallbacks, ...policy.fallback },
    defaultFallback: policy.defaultFallback ?? { after: 'not_delivered', withinMs: DAY_MS },
    maxSteps: policy.maxSteps ?? 3,
    budget: policy.budget ?? {},
    quietHours:
      quiet === false
        ? undefined
        : {
            fromMinute: minutesOf(quiet.from),
            toMinute: minutesOf(quiet.to),
            exempt: quiet.exempt ?? ['email'],
            mode: quiet.mode ?? 'defer',
          },
    defaultTimeZone: policy.defaultTimeZone ?? 'Europe/Moscow',
    frequencyCaps: policy.frequencyCaps ?? { marketing: { max: 1, windowMs: 30 * DAY_MS } },
    consent: { marketing: 'granted', ...policy.consent },
    baselineChannel: policy.baselineChannel,
    branchScope: policy.branchScope ?? 'branch',
    acquisition: policy.acquisition && {
      channel: policy.acquisition.channel,
      horizon: policy.acquisition.horizon ?? 12,
      takeRate: policy.acquisition.takeRate ?? 0.05,
      takeRateWeight: policy.acquisition.takeRateWeight ?? 200,
      ignoredInvitesToHalve: policy.acquisition.ignoredInvitesToHalve ?? 2,
      paybackMultiple: policy.acquisition.paybackMultiple ?? 1.5,
      prefix: policy.acquisition.prefix ?? '',
      maxInvitesPerContact: policy.acquisition.maxInvitesPerContact,
    },
  };
}
