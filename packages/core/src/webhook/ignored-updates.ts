/** Counts of webhook or polled updates that produced no hub event, by the provider's update type and by reason. */
export interface IgnoredUpdates<Reason extends string = string> {
  /** All ignored updates. */
  total: number;
  /** By the provider's update type (`message_edited`, `message_reply`…). */
  byType: Record<string, number>;
  /** By the channel's reason (an edit, a group chat, an unhandled type…). */
  byReason: Partial<Record<Reason, number>>;
}

/** A channel's running count of ignored updates, made by {@link createIgnoredUpdatesCounter}. */
export interface IgnoredUpdatesCounter<Reason extends string> {
  /** Counts one ignored update: pass it as the webhook parser's `onIgnored`. */
  record(type: string, reason: Reason): void;
  /** A copy of the counts so far, for the channel's `ignoredUpdates()`. */
  snapshot(): IgnoredUpdates<Reason>;
}

/**
 * Counts the updates a channel's webhook parser ignored (state of the channel instance, never of the module).
 * @example
 * const ignored = createIgnoredUpdatesCounter<MaxIgnoredReason>();
 * parseMaxWebhook(request, { secret, onIgnored: ignored.record });
 * ignored.snapshot(); // { total: 1, byType: { message_edited: 1 }, byReason: { edit: 1 } }
 */
export function createIgnoredUpdatesCounter<Reason extends string>(): IgnoredUpdatesCounter<Reason> {
  const counts: IgnoredUpdates<Reason> = { total: 0, byType: {}, byReason: {} };
  return {
    record(type, reason) {
      counts.total++;
      counts.byType[type] = (counts.byType[type] ?? 0) + 1;
      counts.byReason[reason] = (counts.byReason[reason] ?? 0) + 1;
    },
    snapshot: () => structuredClone(counts),
  };
}
