// Rate-limit fidelity: hub.send on the WhatsApp channel at its default 80 msg/s against a stub that answers 429
// (code 130429) above 80 requests in any trailing second. Compared in the same run with Bottleneck alone at the same
// spacing (minTime 12.5 ms), which is what the core limiter adds its launch guard to. Then the pair limit: several
// messages to the same recipients, whose spacing must stay ≥ 6 s.

import { cpus, loadavg } from 'node:os';
import Bottleneck from 'bottleneck';
import { createWhatsAppChannel } from '../packages/channel-whatsapp/src/index.js';
import { createMemoryStore, createOmnidealer } from '../packages/core/src/index.js';
import { type BenchResult, median, report, round } from './bench-kit.js';
import { startStubProcess } from './stub-process.js';

const limit = 80;
const template = { type: 'template' as const, name: 'spring_sale', language: 'ru', params: ['Иван'] };
const phoneOf = (index: number) => `+7916${String(2_000_000 + index).slice(-7)}`;

function achievedRate(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  return ((sorted.length - 1) / ((sorted.at(-1) as number) - (sorted[0] as number))) * 1000;
}

/** Runs the rate-limit benchmark. */
export async function runRateLimitBenchmark(count = 400, rounds = 3): Promise<BenchResult> {
  const loadAtStart = loadavg()[0] as number;
  const stub = await startStubProcess({ LIMIT_PER_SECOND: String(limit) });
  const baseUrl = `${stub.url}/v23.0/106540352242922`;
  const sdkRates: number[] = [];
  const sdk429: number[] = [];
  const rawRates: number[] = [];
  const raw429: number[] = [];
  for (let round = 0; round < rounds; round++) {
    await stub.reset();
    const hub = createOmnidealer({
      channels: [createWhatsAppChannel({ baseURL: baseUrl, accessToken: 'bench', appSecret: 'bench', verifyToken: 'bench' })],
      store: createMemoryStore(),
      // A 429 would be retried; count them at the stub instead of hiding them.
      retry: { retries: 0 },
    });
    const offset = round * 10_000;
    await Promise.all(
      Array.from({ length: count }, (_, index) =>
        hub.send({
          channel: 'whatsapp',
          contact: { id: `c${offset + index}`, phone: phoneOf(offset + index) },
          content: template,
        }),
      ),
    );
    await hub.shutdown();
    const stats = await stub.stats();
    sdkRates.push(achievedRate(stats.accepted.map(([, time]) => time)));
    sdk429.push(stats.rejected);

    await stub.reset();
    const bottleneck = new Bottleneck({ minTime: 1000 / limit });
    await Promise.all(
      Array.from({ length: count }, (_, index) =>
        bottleneck.schedule(() =>
          fetch(`${baseUrl}/messages`, {
            method: 'POST',
            headers: { authorization: 'Bearer bench', 'content-type': 'application/json' },
            body: JSON.stringify({
              messaging_product: 'whatsapp',
              to: phoneOf(offset + index).slice(1),
              type: 'text',
              text: { body: 'x' },
            }),
          }).then((response) => response.arrayBuffer()),
        ),
      ),
    );
    await bottleneck.stop();
    const rawStats = await stub.stats();
    rawRates.push(achievedRate(rawStats.accepted.map(([, time]) => time)));
    raw429.push(rawStats.rejected);
  }

  // Pair limit: 4 recipients × 3 messages, interleaved with traffic to others.
  await stub.reset();
  const hub = createOmnidealer({
    channels: [createWhatsAppChannel({ baseURL: baseUrl, accessToken: 'bench', appSecret: 'bench', verifyToken: 'bench' })],
    store: createMemoryStore(),
  });
  const repeated = [0, 1, 2, 3].map((index) => phoneOf(900_000 + index));
  const sends: Array<Promise<unknown>> = [];
  for (let wave = 0; wave < 3; wave++) {
    for (const [index, phone] of repeated.entries())
      sends.push(hub.send({ channel: 'whatsapp', contact: { id: `pair${index}`, phone }, content: template }));
    for (let other = 0; other < 40; other++) {
      const index = 800_000 + wave * 100 + other;
      sends.push(hub.send({ channel: 'whatsapp', contact: { id: `o${index}`, phone: phoneOf(index) }, content: template }));
    }
  }
  await Promise.all(sends);
  await hub.shutdown();
  const pairStats = await stub.stats();
  let minimumGapMs = Number.POSITIVE_INFINITY;
  for (const phone of repeated) {
    const times = pairStats.accepted.filter(([to]) => `+${to}` === phone).map(([, time]) => time);
    for (let index = 1; index < times.length; index++)
      minimumGapMs = Math.min(minimumGapMs, (times[index] as number) - (times[index - 1] as number));
  }
  await stub.stop();

  const sdkRate = median(sdkRates);
  return {
    name: 'rate-limit',
    rows: [
      {
        limiter: 'Bottleneck alone, minTime 12.5 ms (baseline)',
        'achieved msg/s': round(median(rawRates), 1),
        '429s (median)': median(raw429),
      },
      {
        limiter: 'hub + WhatsApp channel (core limiter: planned spacing + answer-aware window)',
        'achieved msg/s': round(sdkRate, 1),
        '429s (median)': median(sdk429),
      },
    ],
    summary: {
      limitPerSecond: limit,
      achievedShareOfLimit: round(sdkRate / limit, 3),
      rateLimited429: Math.max(...sdk429),
      baselineRateLimited429: median(raw429),
      pairLimitMinimumGapMs: Math.round(minimumGapMs),
    },
    goals: [
      { figure: 'achievedShareOfLimit', op: '>=', target: 0.97 },
      { figure: 'rateLimited429', op: '<=', target: 0 },
      { figure: 'pairLimitMinimumGapMs', op: '>=', target: 6000 },
    ],
    notes: [
      `machine load (1-minute average) ${loadAtStart.toFixed(1)} at the start, ${(loadavg()[0] as number).toFixed(1)} at the end, on ${cpus().length} cores: figures are noisy above ~1 per core`,
      `${count} messages per round, ${rounds} rounds; the stub counts requests in a trailing 1 s window`,
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) report(await runRateLimitBenchmark());
