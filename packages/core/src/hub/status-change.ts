import type { Message } from '../model/message.js';
import type { MessageStatus } from '../model/message-status.js';

/**
 * `message` moved to `status` at `at`, with `changes` applied: the one place a status and its time are set together
 * (each status keeps the first time it was seen, for reports). `now` is when the hub recorded it, if later.
 */
export function withStatus(
  message: Message,
  status: MessageStatus,
  at: number,
  changes?: Partial<Message>,
  now: number = at,
): Message {
  return { ...message, ...changes, status, updatedAt: now, statusTimes: { ...message.statusTimes, [status]: at } };
}
