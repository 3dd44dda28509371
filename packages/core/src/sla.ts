import type { Branch } from './model/branch.js';
import type { Conversation } from './model/conversation.js';
import { workingTimeMs } from './working-time.js';

/** One reply to a waiting customer: how long they waited and who answered. Recorded by the hub on every reply. */
export interface ResponseRecord {
  conversationId: string;
  channel: string;
  /** The conversation's branch when it was answered (absent for a chat of the whole group). */
  branchId?: string | undefined;
  /** Operator id, `bot`, or `unassigned` when nobody owned the chat. */
  responder: string;
  /** When the oldest unanswered inbound message arrived. */
  waitingSince: number;
  respondedAt: number;
  /** How long the customer waited: only the branch's working time when its branch has working hours. */
  waitedMs: number;
  /** True for the first reply in the conversation (the first-response time). */
  first: boolean;
}

/** Response-time figures for one responder or for everybody. */
export interface ResponseFigures {
  /** Replies to a waiting customer. */
  answered: number;
  /** Replies that came later than the target. */
  answeredLate: number;
  /** Median / 90th percentile wait of answered customers, ms (undefined with no replies). */
  medianMs: number | undefined;
  p90Ms: number | undefined;
  /** Median time to the first reply of a conversation, ms. */
  medianFirstResponseMs: number | undefined;
  /** Customers waiting right now longer than the target. */
  waitingOverTarget: number;
  /** Late replies plus customers still waiting over the target: the chats that missed the SLA. */
  missed: number;
}

/** {@link computeSlaReport}'s answer: overall and per responder. */
export interface SlaReport {
  targetMs: number;
  overall: ResponseFigures;
  /** Keyed by operator id (`bot` for bot replies, `unassigned` for chats nobody owns). */
  byResponder: Record<string, ResponseFigures>;
  /**
   * Keyed by branch id, one row per branch of the group (`overall` is the group's total). Chats of channels bound to
   * no branch count only in `overall`. Empty for a hub without branches.
   */
  byBranch: Record<string, ResponseFigures>;
  /** Open conversations whose customer waits for a reply, longest wait first. */
  waiting: Array<{
    conversationId: string;
    channel: string;
    branchId?: string | undefined;
    responder: string;
    waitingMs: number;
    overTarget: boolean;
  }>;
}

/**
 * How long a customer waited from `from` to `to`: the working time of the branch in between when it has working
 * hours (20:00 Friday to 09:10 Monday of a branch opening at 09:00 is 10 minutes), else all of it.
 */
export function waitedMs(branch: Pick<Branch, 'timeZone' | 'workingHours'> | undefined, from: number, to: number): number {
  if (branch?.workingHours) return workingTimeMs(branch.workingHours, branch.timeZone, from, to);
  return Math.max(0, to - from);
}

/** The live first-response timer of a conversation: how long the customer has waited, and whether it is over target. */
export interface ResponseTimer {
  waitingMs: number;
  overTarget: boolean;
}

/** Who is answerable for a conversation now. */
export function responderOf(conversation: Conversation): string {
  return conversation.assignee ?? (conversation.handler === 'bot' ? 'bot' : 'unassigned');
}

/**
 * The live timer an inbox shows next to a chat (red once over target). Undefined when nobody is waiting. Given the
 * conversation's branch (`hub.branches.get(conversation.branchId)`), only its working time counts.
 * @example
 * const timer = responseTimer(conversation, Date.now(), 120_000, hub.branches.get(conversation.branchId ?? ''));
 * if (timer?.overTarget) row.classList.add('late');
 */
export function responseTimer(
  conversation: Conversation,
  now: number,
  targetMs: number,
  branch?: Pick<Branch, 'timeZone' | 'workingHours'>,
): ResponseTimer | undefined {
  if (conversation.status !== 'open' || conversation.awaitingReplySince === undefined) return undefined;
  const waitingMs = waitedMs(branch, conversation.awaitingReplySince, now);
  return { waitingMs, overTarget: waitingMs > targetMs };
}

function quantile(sorted: number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const index = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

function figures(responses: ResponseRecord[], waitingOver: number, targetMs: number): ResponseFigures {
  const waits = responses.map((response) => response.waitedMs).sort((a, b) => a - b);
  const firsts = responses
    .filter((response) => response.first)
    .map((response) => response.waitedMs)
    .sort((a, b) => a - b);
  const answeredLate = responses.filter((response) => response.waitedMs > targetMs).length;
  return {
    answered: responses.length,
    answeredLate,
    medianMs: quantile(waits, 0.5),
    p90Ms: quantile(waits, 0.9),
    medianFirstResponseMs: quantile(firsts, 0.5),
    waitingOverTarget: waitingOver,
    missed: answeredLate + waitingOver,
  };
}

/**
 * Response-time SLA over recorded replies and the conversations still waiting: time to reply, late replies and
 * missed chats, overall, per operator and per branch. Pure: a CRM can call it on its own data.
 * @param input.targetMs the answer-within target; the field notes' dealer answered within 2 minutes. @default 120000
 * @param input.branches the group's branches: a row for each, and live waits counted in their working time
 * @example
 * const report = computeSlaReport({ responses, conversations, now: Date.now() });
 * console.table(report.byResponder);
 */
export function computeSlaReport(input: {
  responses: ResponseRecord[];
  conversations: Conversation[];
  now: number;
  targetMs?: number;
  branches?: ReadonlyMap<string, Branch>;
}): SlaReport {
  const targetMs = input.targetMs ?? 120_000;
  const branchOf = (conversation: Conversation) =>
    conversation.branchId === undefined ? undefined : input.branches?.get(conversation.branchId);
  const waiting = input.conversations
    .map((conversation) => ({
      conversation,
      timer: responseTimer(conversation, input.now, targetMs, branchOf(conversation)),
    }))
    .filter((entry): entry is { conversation: Conversation; timer: ResponseTimer } => entry.timer !== undefined)
    .map(({ conversation, timer }) => ({
      conversationId: conversation.id,
      channel: conversation.channel,
      ...(conversation.branchId !== undefined ? { branchId: conversation.branchId } : {}),
      responder: responderOf(conversation),
      waitingMs: timer.waitingMs,
      overTarget: timer.overTarget,
    }))
    .sort((a, b) => b.waitingMs - a.waitingMs);
  const responders = new Set([
    ...input.responses.map((response) => response.responder),
    ...waiting.map((entry) => entry.responder),
  ]);
  const byResponder: Record<string, ResponseFigures> = {};
  for (const responder of [...responders].sort()) {
    byResponder[responder] = figures(
      input.responses.filter((response) => response.responder === responder),
      waiting.filter((entry) => entry.responder === responder && entry.overTarget).length,
      targetMs,
    );
  }
  const branchIds = new Set([
    ...(input.branches?.keys() ?? []),
    ...input.responses.flatMap((response) => (response.branchId === undefined ? [] : [response.branchId])),
    ...waiting.flatMap((entry) => (entry.branchId === undefined ? [] : [entry.branchId])),
  ]);
  const byBranch: Record<string, ResponseFigures> = {};
  for (const branchId of branchIds) {
    byBranch[branchId] = figures(
      input.responses.filter((response) => response.branchId === branchId),
      waiting.filter((entry) => entry.branchId === branchId && entry.overTarget).length,
      targetMs,
    );
  }
  return {
    targetMs,
    overall: figures(input.responses, waiting.filter((entry) => entry.overTarget).length, targetMs),
    byResponder,
    byBranch,
    waiting,
  };
}
