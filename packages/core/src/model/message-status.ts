import { z } from 'zod';

/** Lifecycle of an outbound message: `queued → sent → delivered → read`, or `failed`. */
export const messageStatusSchema = z.enum(['queued', 'sent', 'delivered', 'read', 'failed']);
export type MessageStatus = z.infer<typeof messageStatusSchema>;

const rank: Record<MessageStatus, number> = { queued: 0, sent: 1, delivered: 2, read: 3, failed: 1.5 };

/**
 * True when a message may move from `current` to `next`. Statuses only move forward: a late `delivered` after
 * `read` is ignored, and `failed` is accepted only before delivery (a provider reporting failure after it
 * reported delivery is contradicting itself; the delivery stands). The same status again is not a transition.
 */
export function canTransition(current: MessageStatus, next: MessageStatus): boolean {
  if (current === next) return false;
  if (current === 'failed') return false;
  if (next === 'failed') return current === 'queued' || current === 'sent';
  return rank[next] > rank[current];
}
