// Send path vs the physical limit: hub.send() on the WhatsApp channel against a loopback Cloud API stub (in its own
// process), compared in the same run with a raw fetch loop posting the same payloads at the same concurrency.
// The baseline fetch uses the request options the channel uses (`redirect: 'error'`, which spares undici a copy of
// every body): the SDK's overhead is then measured against the best the same fetch can do, not against a slower
// call. A loop with fetch's default options is shown beside it for reference. Each measurement starts from a
// collected heap (`--expose-gc`, as `pnpm bench` runs), so no phase pays for the garbage of the one before it.
// The SDK sends over `node:http` with keep-alive (2.5–4× fetch's throughput on Node 20), so a raw loop on that same
// transport is measured too: the SDK's CPU overhead is taken against it, the throughput ratio against raw fetch (the
// issue's baseline) and against the same transport.

import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { convertToWhatsAppMessage, createWhatsAppChannel } from '../packages/channel-whatsapp/src/index.js';
import { createMemoryStore, createOmnidealer } from '../packages/core/src/index.js';
import { type BenchResult, measureThroughput, median, type RunFigures, report, round } from './bench-kit.js';
import { startStubProcess } from './stub-process.js';
import { cloudTemplateBody as body, benchPhone as phoneOf, benchTemplate as template } from './whatsapp-template-load.js';

const concurrency = 32;

const collectGarbage = (globalThis as { gc?: () => void }).gc;

/** One measured phase, from a collected heap so it does not pay for the garbage of the one before. */
function measure(count: number, task: (index: number) => Promise<unknown>): Promise<RunFigures> {
  collectGarbage?.();
  return measureThroughput(count, concurrency, task);
}

/** Runs the send-path benchmark: 5 alternating rounds of raw fetch and hub.send, medians reported. */
export async function runSendPathBenchmark(count = 4000, rounds = 5): Promise<BenchResult> {
  const loadAtStart = loadavg()[0] as number;
  const stub = await startStubProcess();
  const baseUrl = `${stub.url}/v23.0/106540352242922`;
  const accessToken = 'EAAbenchmarktoken';
  // Check that the raw loop posts what the channel posts, so the comparison is fair.
  const converted = convertToWhatsAppMessage(template, phoneOf(0).slice(1)) as unknown as Record<string, unknown>;
  const rawPayload = JSON.parse(body(0)) as Record<string, unknown>;
  const samePayload = JSON.stringify(Object.keys(converted).sort()) === JSON.stringify(Object.keys(rawPayload).sort());

  const raw = async (index: number) => {
    const response = await fetch(`${baseUrl}/messages`, {
      method: 'POST',
      redirect: 'error',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: body(index),
    });
    await response.json();
  };
  const rawDefault = async (index: number) => {
    const response = await fetch(`${baseUrl}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: body(index),
    });
    await response.json();
  };

  const agent = new http.Agent({ keepAlive: true, scheduling: 'lifo' });
  const rawHttp = (index: number) =>
    new Promise<void>((resolve, reject) => {
      const payload = body(index);
      const request = http.request(
        `${baseUrl}/messages`,
        {
          method: 'POST',
          agent,
          headers: {
            authorization: `Bearer ${accessToken}`,
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(payload)),
          },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () => {
            JSON.parse(text);
            resolve();
          });
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(payload);
    });

  // The parts of the SDK's overhead, measured alone: the channel's own call (payload conversion, the HTTP helper's
  // headers, deadline, error mapping, response check) on the same transport, and the hub around an instant channel
  // (validation, store writes, limiter, retry, events) with no HTTP at all.
  const channelAlone = createWhatsAppChannel({ baseUrl, accessToken, appSecret: 'bench', verifyToken: 'bench' });
  const doSendAlone = (index: number) =>
    channelAlone.doSend(
      {
        id: `m${index}`,
        to: phoneOf(index).slice(1),
        contact: { id: `c${index}`, phone: phoneOf(index) },
        content: template,
        conversation: { id: `conv${index}` } as never,
      },
      {},
    );
  let instantIds = 0;
  const instant = Object.assign(Object.create(null), channelAlone, {
    rateLimit: { maxConcurrent: concurrency },
    doSend: async () => ({ status: 'sent' as const, providerMessageId: `wamid.instant${instantIds++}` }),
  }) as typeof channelAlone;

  const rawRuns: RunFigures[] = [];
  const rawHttpRuns: RunFigures[] = [];
  const rawDefaultRuns: RunFigures[] = [];
  const hubRuns: RunFigures[] = [];
  const doSendRuns: RunFigures[] = [];
  const instantRuns: RunFigures[] = [];
  await measure(500, raw); // warm-up of sockets and JIT
  await measure(500, rawDefault);
  await measure(500, rawHttp);
  await measure(500, doSendAlone);
  for (let round = 0; round < rounds; round++) {
    rawRuns.push(await measure(count, raw));
    rawDefaultRuns.push(await measure(count, rawDefault));
    rawHttpRuns.push(await measure(count, rawHttp));
    doSendRuns.push(await measure(count, (index) => doSendAlone((round + 1) * 100_000 + index)));
    const instantHub = createOmnidealer({ channels: [instant], store: createMemoryStore() });
    const instantOffset = (round + 1) * 100_000 + 60_000;
    if (round === 0)
      await measure(500, (index) =>
        instantHub.send({ channel: 'whatsapp', contact: { id: `w${index}`, phone: phoneOf(index) }, content: template }),
      );
    instantRuns.push(
      await measure(count, (index) =>
        instantHub.send({
          channel: 'whatsapp',
          contact: { id: `i${instantOffset + index}`, phone: phoneOf(instantOffset + index) },
          content: template,
        }),
      ),
    );
    await instantHub.shutdown();
    // The provider's own cap (80/s by default, 1000/s at most) would measure the limit, not the SDK: lift it here so
    // the figure is the SDK's overhead. The limiter still runs (maxConcurrent); its fidelity is the rate-limit bench.
    const whatsapp = createWhatsAppChannel({ baseUrl, accessToken, appSecret: 'bench', verifyToken: 'bench' });
    const unlimited = Object.assign(Object.create(null), whatsapp, {
      rateLimit: { maxConcurrent: concurrency },
    }) as typeof whatsapp;
    const hub = createOmnidealer({ channels: [unlimited], store: createMemoryStore() });
    const offset = (round + 1) * 100_000;
    if (round === 0)
      await measure(500, (index) =>
        hub.send({
          channel: 'whatsapp',
          contact: { id: `w${index}`, phone: phoneOf(offset + 50_000 + index) },
          content: template,
        }),
      );
    hubRuns.push(
      await measure(count, async (index) => {
        const message = await hub.send({
          channel: 'whatsapp',
          contact: { id: `c${offset + index}`, phone: phoneOf(offset + index) },
          content: template,
        });
        if (message.status !== 'sent') throw new Error(`send failed: ${message.error?.code}`);
      }),
    );
    await hub.shutdown();
  }
  await stub.stop();
  agent.destroy();

  const rawRate = median(rawRuns.map((run) => run.perSecond));
  const hubRate = median(hubRuns.map((run) => run.perSecond));
  const rawCpu = median(rawRuns.map((run) => run.cpuMicrosPerMessage));
  const rawDefaultRate = median(rawDefaultRuns.map((run) => run.perSecond));
  const rawDefaultCpu = median(rawDefaultRuns.map((run) => run.cpuMicrosPerMessage));
  const hubCpu = median(hubRuns.map((run) => run.cpuMicrosPerMessage));
  const rawHttpRate = median(rawHttpRuns.map((run) => run.perSecond));
  const rawHttpCpu = median(rawHttpRuns.map((run) => run.cpuMicrosPerMessage));
  const doSendRate = median(doSendRuns.map((run) => run.perSecond));
  const doSendCpu = median(doSendRuns.map((run) => run.cpuMicrosPerMessage));
  const instantRate = median(instantRuns.map((run) => run.perSecond));
  const instantCpu = median(instantRuns.map((run) => run.cpuMicrosPerMessage));
  return {
    name: 'send-path',
    rows: [
      { path: 'raw fetch loop (baseline)', 'messages/s': Math.round(rawRate), 'CPU µs/message': Math.round(rawCpu) },
      {
        path: "raw fetch loop, fetch's default options",
        'messages/s': Math.round(rawDefaultRate),
        'CPU µs/message': Math.round(rawDefaultCpu),
      },
      {
        path: 'raw node:http keep-alive loop (the SDK’s transport)',
        'messages/s': Math.round(rawHttpRate),
        'CPU µs/message': Math.round(rawHttpCpu),
      },
      {
        path: 'WhatsApp channel doSend alone (same transport)',
        'messages/s': Math.round(doSendRate),
        'CPU µs/message': Math.round(doSendCpu),
      },
      {
        path: 'hub.send → an instant channel (no HTTP)',
        'messages/s': Math.round(instantRate),
        'CPU µs/message': Math.round(instantCpu),
      },
      { path: 'hub.send → WhatsApp channel', 'messages/s': Math.round(hubRate), 'CPU µs/message': Math.round(hubCpu) },
    ],
    summary: {
      messagesPerRound: count,
      rounds,
      concurrency,
      throughputRatioVsRaw: round(hubRate / rawRate),
      sdkCpuMicrosPerMessage: Math.round(hubCpu),
      sdkCpuOverheadMicrosPerMessage: Math.round(hubCpu - rawHttpCpu),
      channelCpuOverheadMicrosPerMessage: Math.round(doSendCpu - rawHttpCpu),
      hubCoreCpuMicrosPerMessage: Math.round(instantCpu),
      throughputRatioVsSameTransport: round(hubRate / rawHttpRate),
      throughputRatioVsDefaultFetch: round(hubRate / rawDefaultRate),
    },
    goals: [
      { figure: 'throughputRatioVsRaw', op: '>=', target: 0.8 },
      { figure: 'sdkCpuOverheadMicrosPerMessage', op: '<=', target: 50 },
    ],
    notes: [
      `machine load (1-minute average) ${loadAtStart.toFixed(1)} at the start, ${(loadavg()[0] as number).toFixed(1)} at the end, on ${cpus().length} cores: figures are noisy above ~1 per core`,
      samePayload ? 'raw loop posts the same payload shape as the channel' : 'WARNING: raw payload differs from the channel',
      'CPU µs/message includes the HTTP client itself; the SDK overhead is the difference to the raw node:http loop (same transport).',
      'its parts, measured alone: channelCpuOverhead (doSend over the raw loop) and hubCoreCpu (hub.send on an instant channel). Their sum is below the end-to-end overhead: interleaved with socket I/O, the same hub code runs on cold caches and in smaller batches per event-loop turn, and this gap grows with machine load.',
      "the baseline fetch refuses redirects as the channel does; the loop with fetch's defaults is for reference only.",
      collectGarbage ? 'heap collected before each measurement' : 'WARNING: run with --expose-gc (pnpm bench does)',
      'notifme-sdk is compared on its Infobip WhatsApp provider in `pnpm bench peer-notifme`.',
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) report(await runSendPathBenchmark());
