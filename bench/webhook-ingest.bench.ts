// Webhook ingest: signed WhatsApp webhook batches (statuses and inbound messages) verified, parsed and applied to
// the in-memory store through hub.handleWebhook, on one core. Baseline in the same run: only HMAC-verifying and
// JSON-parsing the same bytes (the floor any correct receiver pays).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWhatsAppChannel, signWhatsAppWebhook } from '../packages/channel-whatsapp/src/index.js';
import { createMemoryStore, createOmnidealer, type Message, type Store } from '../packages/core/src/index.js';
import { createPostgresStore } from '../packages/store-postgres/src/index.js';
import {
  findPostgresBinDir,
  postgresInstallHint,
  startPostgresServer,
} from '../packages/store-postgres/test/start-postgres-server.js';
import { createSqliteStore } from '../packages/store-sqlite/src/index.js';
import { type BenchResult, cacheProbeMs, median, report, round } from './bench-kit.js';

const appSecret = 'bench-app-secret';
const batchSize = 50;
const phoneNumberId = '106540352242922';

function envelope(value: Record<string, unknown>): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '74951234567', phone_number_id: phoneNumberId },
              ...value,
            },
            field: 'messages',
          },
        ],
      },
    ],
  });
}

function wamid(index: number): string {
  return `wamid.HBgLNzkxNjEyMzQ1NjcVAgARGBI${index.toString(36).padStart(12, '0')}`;
}

function phone(index: number): string {
  return `7916${String(1_000_000 + (index % 9_000_000)).slice(-7)}`;
}

function statusBatch(first: number, status: 'delivered' | 'read'): string {
  return envelope({
    statuses: Array.from({ length: batchSize }, (_, offset) => ({
      id: wamid(first + offset),
      status,
      timestamp: '1764067200',
      recipient_id: phone(first + offset),
      pricing: { billable: true, pricing_model: 'PMP', category: 'marketing', type: 'regular' },
    })),
  });
}

function inboundBatch(first: number): string {
  return envelope({
    contacts: Array.from({ length: batchSize }, (_, offset) => ({
      profile: { name: 'Иван Петров' },
      wa_id: phone(first + offset),
    })),
    messages: Array.from({ length: batchSize }, (_, offset) => ({
      from: phone(first + offset),
      id: `wamid.IN${(first + offset).toString(36).padStart(12, '0')}`,
      timestamp: '1764066000',
      type: 'text',
      text: { body: 'Здравствуйте! Есть ли Haval F7 в наличии?' },
    })),
  });
}

interface Prepared {
  bodies: Array<{ body: string; signature: string }>;
  events: number;
}

async function prepare(messages: number): Promise<Prepared> {
  const bodies: Prepared['bodies'] = [];
  for (let first = 0; first < messages; first += batchSize) {
    for (const body of [statusBatch(first, 'delivered'), statusBatch(first, 'read'), inboundBatch(first)]) {
      bodies.push({ body, signature: await signWhatsAppWebhook(body, appSecret) });
    }
  }
  return { bodies, events: messages * 3 };
}

async function runHub(prepared: Prepared, messages: number, store: Store = createMemoryStore()): Promise<number> {
  const now = Date.now();
  for (let index = 0; index < messages; index++) {
    const message: Message = {
      id: `msg_${index}`,
      conversationId: `conv_${index}`,
      contactId: `c_${index}`,
      direction: 'outbound',
      channel: 'whatsapp',
      content: { type: 'template', name: 'spring_sale', language: 'ru', params: ['Иван'] },
      status: 'sent',
      providerMessageId: wamid(index),
      createdAt: now,
      updatedAt: now,
    };
    await store.saveMessage(message);
  }
  const hub = createOmnidealer({
    channels: [createWhatsAppChannel({ phoneNumberId, accessToken: 'bench', appSecret, verifyToken: 'bench' })],
    store,
  });
  const started = performance.now();
  for (const { body, signature } of prepared.bodies) {
    const response = await hub.handleWebhook(
      'whatsapp',
      new Request('http://127.0.0.1/hooks/whatsapp', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
        body,
      }),
    );
    if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
  }
  const elapsed = performance.now() - started;
  const last = await store.findMessageByProviderId('whatsapp', wamid(messages - 1));
  if (last?.status !== 'read') throw new Error('statuses were not applied');
  await hub.shutdown();
  await store.close?.();
  return (prepared.events / elapsed) * 1000;
}

function runBaseline(prepared: Prepared): number {
  const started = performance.now();
  let count = 0;
  for (const { body, signature } of prepared.bodies) {
    const bytes = Buffer.from(body);
    const expected = Buffer.from(`sha256=${createHmac('sha256', appSecret).update(bytes).digest('hex')}`);
    if (!timingSafeEqual(expected, Buffer.from(signature))) throw new Error('bad signature');
    const parsed = JSON.parse(bytes.toString('utf8')) as {
      entry: Array<{ changes: Array<{ value: { statuses?: unknown[]; messages?: unknown[] } }> }>;
    };
    const value = parsed.entry[0]?.changes[0]?.value;
    count += (value?.statuses?.length ?? 0) + (value?.messages?.length ?? 0);
  }
  const elapsed = performance.now() - started;
  return (count / elapsed) * 1000;
}

/** Runs the webhook-ingest benchmark (a full-size warm-up round, then 9 rounds alternating both paths; medians). */
export async function runWebhookIngestBenchmark(messages = 5000, rounds = 9): Promise<BenchResult> {
  const prepared = await prepare(messages);
  const hubRates: number[] = [];
  const baseRates: number[] = [];
  const probes: number[] = [];
  // Warm-up at full size, both paths: the first rounds run partly unoptimised code while the heap grows.
  runBaseline(prepared);
  await runHub(prepared, messages);
  for (let round = 0; round < rounds; round++) {
    probes.push(cacheProbeMs());
    baseRates.push(runBaseline(prepared));
    hubRates.push(await runHub(prepared, messages));
  }
  const hubRate = median(hubRates);
  const baseRate = median(baseRates);
  const probeMs = round(median(probes), 1);
  // The same load on the durable store a server runs with (SQLite, its default synchronous: 'full'), smaller and
  // fewer rounds: each round writes a fresh file.
  const sqliteMessages = Math.min(messages, 1000);
  const sqlitePrepared = await prepare(sqliteMessages);
  const folder = mkdtempSync(join(tmpdir(), 'omnidealer-ingest-'));
  const sqliteRates: number[] = [];
  try {
    for (let round = 0; round < 3; round++)
      sqliteRates.push(await runHub(sqlitePrepared, sqliteMessages, createSqliteStore({ path: join(folder, `${round}.db`) })));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  const sqliteRate = median(sqliteRates);
  // The same on PostgreSQL (a throwaway cluster with its default durability, a fresh schema per round), when the
  // server programs are installed.
  const postgresRates: number[] = [];
  if (findPostgresBinDir()) {
    const server = await startPostgresServer({ durable: true });
    try {
      for (let round = 0; round < 3; round++) {
        const store = createPostgresStore({ connectionString: server.url, schema: `bench_ingest_${round}` });
        postgresRates.push(await runHub(sqlitePrepared, sqliteMessages, store));
      }
    } finally {
      await server.stop();
    }
  } else {
    console.warn(`webhook-ingest: PostgreSQL not found, its row is skipped. Install it: ${postgresInstallHint}`);
  }
  const postgresRate = postgresRates.length > 0 ? median(postgresRates) : undefined;
  return {
    name: 'webhook-ingest',
    rows: [
      { path: 'verify HMAC + JSON.parse only (baseline)', 'events/s': Math.round(baseRate) },
      { path: 'hub.handleWebhook → WhatsApp parse → store', 'events/s': Math.round(hubRate) },
      { path: 'same, SQLite store (synchronous: full)', 'events/s': Math.round(sqliteRate) },
      {
        path: 'same, PostgreSQL store (fsync on, Unix socket)',
        'events/s': postgresRate === undefined ? 'skipped (no PostgreSQL)' : Math.round(postgresRate),
      },
    ],
    summary: {
      events: prepared.events,
      batchSize,
      hubEventsPerSecond: Math.round(hubRate),
      ratioVsBaseline: round(hubRate / baseRate, 3),
      sqliteEventsPerSecond: Math.round(sqliteRate),
      ...(postgresRate === undefined ? {} : { postgresEventsPerSecond: Math.round(postgresRate) }),
      cacheProbeMs: probeMs,
    },
    goals: [{ figure: 'hubEventsPerSecond', op: '>=', target: 50_000 }],
    notes: [
      `${prepared.bodies.length} signed batches: delivered + read statuses and inbound texts for ${messages} messages`,
      `cache-bound probe before each round: median ${probeMs} ms (range ${round(Math.min(...probes), 1)}–${round(Math.max(...probes), 1)}); the memory-store figure moves with it on a shared VM (see cacheProbeMs in bench-kit.ts)`,
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) report(await runWebhookIngestBenchmark());
