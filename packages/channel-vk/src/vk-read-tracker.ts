/** What {@link createVkReadTracker} keeps: the latest sends per dialog, for `message_read`. */
export interface VkReadTracker {
  /** Records a message the channel sent to the dialog `peerId` (VK's message id, as `messages.send` answered). */
  sent(peerId: string, messageId: number): void;
  /**
   * The ids recorded for `peerId` below `readMessageId`, oldest first. Kept after the call: VK redelivers an event
   * the hub failed to store, and a repeated `read` status changes nothing.
   */
  sentBefore(peerId: string, readMessageId: number): string[];
}

/**
 * Remembers, per dialog, the ids of the last messages this channel sent, so that a `message_read` (which names only
 * the last message read) gives a `read` status to each earlier one too. VK's message ids grow within a community's
 * messages, so "before" is "smaller". In memory and bounded (the last `perDialog` sends of the last `dialogs` dialogs,
 * least recently sent to dropped first): a send made by another process, or before a restart, gets no status from a
 * later read than its own id.
 */
export function createVkReadTracker(options: { perDialog?: number; dialogs?: number } = {}): VkReadTracker {
  const perDialog = options.perDialog ?? 20;
  const dialogs = options.dialogs ?? 10_000;
  const byDialog = new Map<string, number[]>();
  return {
    sent(peerId, messageId) {
      const ids = byDialog.get(peerId) ?? [];
      byDialog.delete(peerId);
      if (!ids.includes(messageId)) ids.push(messageId);
      if (ids.length > perDialog) ids.splice(0, ids.length - perDialog);
      byDialog.set(peerId, ids);
      if (byDialog.size > dialogs) {
        const oldest = byDialog.keys().next().value;
        if (oldest !== undefined) byDialog.delete(oldest);
      }
    },
    sentBefore(peerId, readMessageId) {
      return (byDialog.get(peerId) ?? [])
        .filter((id) => id < readMessageId)
        .sort((a, b) => a - b)
        .map(String);
    },
  };
}
