import { describe, expect, it } from 'vitest';
import type { Conversation } from './model/conversation.js';
import { computeSlaReport, type ResponseRecord, responseTimer } from './sla.js';

const base: Conversation = {
  id: 'conv-1',
  contactId: 'c1',
  channel: 'whatsapp',
  status: 'open',
  handler: 'operator',
  assignments: [],
  unreadCount: 1,
  createdAt: 0,
  updatedAt: 0,
};

function response(responder: string, waitedMs: number, first = true): ResponseRecord {
  return {
    conversationId: `conv-${responder}-${waitedMs}`,
    channel: 'whatsapp',
    responder,
    waitingSince: 0,
    respondedAt: waitedMs,
    waitedMs,
    first,
  };
}

describe('responseTimer', () => {
  it('counts from the oldest unanswered inbound message and turns over target after the target', () => {
    const waiting = { ...base, awaitingReplySince: 1_000 };
    expect(responseTimer(waiting, 121_000, 120_000)).toEqual({ waitingMs: 120_000, overTarget: false });
    expect(responseTimer(waiting, 121_001, 120_000)).toEqual({ waitingMs: 120_001, overTarget: true });
    expect(responseTimer(base, 500_000, 120_000)).toBeUndefined();
    expect(responseTimer({ ...waiting, status: 'closed' }, 500_000, 120_000)).toBeUndefined();
  });
});

describe('computeSlaReport', () => {
  it('computes median, p90 and misses per responder', () => {
    const responses = [10, 20, 30, 40, 50, 60, 70, 80, 90, 200].map((seconds, index) =>
      response('anna', seconds * 1000, index < 5),
    );
    const report = computeSlaReport({
      responses,
      conversations: [{ ...base, assignee: 'anna', awaitingReplySince: 0 }],
      now: 300_000,
    });
    expect(report.targetMs).toBe(120_000);
    expect(report.byResponder.anna).toEqual({
      answered: 10,
      answeredLate: 1,
      medianMs: 50_000,
      p90Ms: 90_000,
      medianFirstResponseMs: 30_000,
      waitingOverTarget: 1,
      missed: 2,
    });
  });

  it('reports no figures rather than zeros when nobody answered', () => {
    const report = computeSlaReport({ responses: [], conversations: [], now: 0 });
    expect(report.overall).toEqual({
      answered: 0,
      answeredLate: 0,
      medianMs: undefined,
      p90Ms: undefined,
      medianFirstResponseMs: undefined,
      waitingOverTarget: 0,
      missed: 0,
    });
    expect(report.byResponder).toEqual({});
  });
});
