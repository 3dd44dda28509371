import { createSeededRandom } from './random.js';
import type { SmsBehaviour, SmsOutcome } from './sandbox-behaviour.js';

/** What an SMS gateway will do with one accepted message, and when (simulated epoch ms). */
export interface SmsPlan {
  outcome: SmsOutcome;
  sentAt: number;
  finalAt: number;
  /** A seeded number in `[0, 1)` for picking among failure codes. */
  failurePick: number;
}

/** Scripted outcome for a recipient (digits or E.164), if any. */
export function scriptedSmsOutcome(behaviour: SmsBehaviour, digits: string): SmsOutcome | undefined {
  return behaviour.outcomes[digits] ?? behaviour.outcomes[`+${digits}`];
}

/** Decides an SMS's fate from the seeded model, keyed by `(seed, gateway, message id)`. */
export function planSms(options: {
  seed: number | string;
  gateway: string;
  behaviour: SmsBehaviour;
  digits: string;
  id: string;
  at: number;
}): SmsPlan {
  const { seed, gateway, behaviour, digits, id, at } = options;
  const random = createSeededRandom(seed, `${gateway}.outcome`, id);
  let outcome = scriptedSmsOutcome(behaviour, digits);
  if (!outcome) {
    if (random.chance(behaviour.silent)) outcome = 'silent';
    else if (random.chance(behaviour.delivered)) outcome = 'delivered';
    else outcome = random.chance(behaviour.expired) ? 'expired' : 'failed';
  }
  const delays = createSeededRandom(seed, `${gateway}.delays`, id);
  const sentAt = at + Math.floor(delays.between(behaviour.delays.sentMs));
  const finalAt = sentAt + Math.floor(delays.between(behaviour.delays.finalMs));
  return { outcome, sentAt, finalAt, failurePick: delays.next() };
}
