// Memory: bytes per stored conversation (with 3 messages) in the in-memory store at 100 000 conversations.
// Baseline in the same run: the JSON size of the same records (what they weigh on the wire or on disk).
import type { Conversation, Message } from '../packages/core/src/index.js';
import { createMemoryStore } from '../packages/core/src/index.js';
import { type BenchResult, median, report, round } from './bench-kit.js';

const gc = (globalThis as { gc?: () => void }).gc;

export function conversationOf(index: number, now: number): { conversation: Conversation; messages: Message[] } {
  const conversation: Conversation = {
    id: `conv_${index.toString(36).padStart(8, '0')}`,
    contactId: `contact_${index}`,
    channel: 'whatsapp',
    status: 'open',
    handler: 'operator',
    assignee: `operator-${index % 20}`,
    assignments: [{ at: now, handler: 'operator', assignee: `operator-${index % 20}` }],
    unreadCount: 1,
    lastInboundAt: now,
    lastOutboundAt: now + 60_000,
    firstInboundAt: now,
    firstResponseMs: 60_000,
    createdAt: now,
    updatedAt: now + 60_000,
  };
  const base = { conversationId: conversation.id, contactId: conversation.contactId, channel: 'whatsapp', updatedAt: now };
  const messages: Message[] = [
    {
      ...base,
      id: `msg_${index}_1`,
      direction: 'inbound',
      content: { type: 'text', text: 'Здравствуйте! Киа Рио 2021 ещё в продаже?' },
      status: 'delivered',
      providerMessageId: `wamid.HBgLNzkxNjEyMzQ1NjcVAgASGBQzQUVCM0${index}`,
      createdAt: now,
      statusTimes: { delivered: now },
    },
    {
      ...base,
      id: `msg_${index}_2`,
      direction: 'outbound',
      content: { type: 'text', text: 'Добрый день! Да, в наличии. Когда вам удобно приехать на тест-драйв?' },
      status: 'read',
      providerMessageId: `wamid.HBgLNzkxNjEyMzQ1NjcVAgARGBI5QTNDQTVCM0${index}`,
      cost: { amountMinor: 0, currency: 'RUB' },
      createdAt: now + 60_000,
      statusTimes: { queued: now + 60_000, sent: now + 60_100, delivered: now + 61_000, read: now + 90_000 },
    },
    {
      ...base,
      id: `msg_${index}_3`,
      direction: 'inbound',
      content: { type: 'text', text: 'Завтра в 11' },
      status: 'delivered',
      providerMessageId: `wamid.HBgLNzkxNjEyMzQ1NjcVAgASGBQzQUVCM1${index}`,
      createdAt: now + 120_000,
      statusTimes: { delivered: now + 120_000 },
    },
  ];
  return { conversation, messages };
}

function heapUsed(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

async function measureOnce(count: number): Promise<{ bytesPerConversation: number; jsonBytesPerConversation: number }> {
  const now = Date.parse('2026-03-01T09:00:00Z');
  const before = heapUsed();
  const store = createMemoryStore();
  let jsonBytes = 0;
  for (let index = 0; index < count; index++) {
    const { conversation, messages } = conversationOf(index, now);
    jsonBytes += Buffer.byteLength(JSON.stringify(conversation));
    await store.saveConversation(conversation);
    for (const message of messages) {
      jsonBytes += Buffer.byteLength(JSON.stringify(message));
      await store.saveMessage(message);
    }
  }
  const after = heapUsed();
  // Keep the store alive until measured.
  if ((await store.getConversation('conv_00000000')) === undefined) throw new Error('store lost data');
  return { bytesPerConversation: (after - before) / count, jsonBytesPerConversation: jsonBytes / count };
}

/** Runs the memory benchmark (3 runs, median). */
export async function runMemoryBenchmark(count = 100_000): Promise<BenchResult> {
  const runs: Array<{ bytesPerConversation: number; jsonBytesPerConversation: number }> = [];
  for (let run = 0; run < 3; run++) runs.push(await measureOnce(count));
  const bytes = median(runs.map((run) => run.bytesPerConversation));
  const json = median(runs.map((run) => run.jsonBytesPerConversation));
  return {
    name: 'memory',
    rows: [
      { measure: 'in-memory store, heap bytes per conversation (+3 messages)', value: Math.round(bytes) },
      { measure: 'in-memory store, heap bytes per message (≈ share)', value: Math.round(bytes / 4) },
      { measure: 'baseline: JSON bytes of the same records', value: Math.round(json) },
    ],
    summary: {
      conversations: count,
      bytesPerConversationWith3Messages: Math.round(bytes),
      heapToJsonRatio: round(bytes / json),
    },
    goals: [{ figure: 'bytesPerConversationWith3Messages', op: '<=', target: 2048 }],
    notes: gc ? [] : ['run with --expose-gc (pnpm bench does) for stable figures'],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) report(await runMemoryBenchmark());
