// Issue 9's multi-process proof: 4 worker processes on one Redis send 2 000 WhatsApp messages under an 80/s limit; the
// sandbox (the provider) must never see more than 80 arrivals in any one-second window, and get ≥ 95 % of 80/s.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Sandbox, startSandbox } from '@omnidealer/sandbox';
import { afterAll, describe, expect, it } from 'vitest';
import type { LimitWorkerReport } from './__fixtures__/limit-worker.js';
import { testRedisUrl } from './__fixtures__/redis-url.js';

const redisUrl = testRedisUrl();
const worker = fileURLToPath(new URL('./__fixtures__/limit-worker.ts', import.meta.url));
const packageRoot = fileURLToPath(new URL('..', import.meta.url));

/** Most times inside any one-second window (a window starts at each time; `sorted` ascending). */
function busiestSecond(sorted: readonly number[]): number {
  let busiest = 0;
  for (let start = 0, end = 0; start < sorted.length; start++) {
    while (end < sorted.length && (sorted[end] as number) - (sorted[start] as number) < 1000) end++;
    busiest = Math.max(busiest, end - start);
  }
  return busiest;
}

describe.skipIf(!redisUrl)('4 worker processes on one Redis share one WhatsApp limit (real redis-server, sandbox)', () => {
  const children: ChildProcess[] = [];
  let sandbox: Sandbox | undefined;
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await sandbox?.stop();
  });

  it('2 000 messages at 80/s: never more than 80 in any second at the sandbox, ≥ 95 % of 80/s, each accepted once', async () => {
    const workers = 4;
    const perWorker = 500;
    const perSecond = 80;
    // Manual timers: the sandbox only counts and answers; no status webhooks compete for the CPU. Only this template
    // exists, so the workers' warm-up sends (another template) are refused and never counted as arrivals.
    sandbox = await startSandbox({
      seed: 9,
      timers: 'manual',
      behaviour: { whatsapp: { notOnWhatsApp: 0, templates: ['service_reminder'] } },
    });
    const arrivals = new Map<string, number>();
    sandbox.on('message.accepted', (event) => {
      if (event.provider === 'whatsapp') arrivals.set(event.to, Date.now());
    });
    const { phoneNumberId, accessToken } = sandbox.credentials.whatsapp;
    const recipients = Array.from({ length: workers * perWorker }, (_, index) => `+7916${String(index).padStart(7, '0')}`);

    const reports: LimitWorkerReport[] = [];
    const ready: Promise<void>[] = [];
    const done: Promise<void>[] = [];
    for (let index = 0; index < workers; index++) {
      const config = {
        baseUrl: sandbox.urls.whatsappMessages,
        phoneNumberId,
        accessToken,
        perSecond,
        recipients: recipients.slice(index * perWorker, (index + 1) * perWorker),
      };
      const child = fork(worker, [redisUrl, JSON.stringify(config)], {
        cwd: packageRoot,
        execArgv: ['--conditions=omnidealer-source', '--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      ready.push(new Promise((resolve) => child.on('message', (report: LimitWorkerReport) => report.ready && resolve())));
      done.push(
        new Promise((resolve, reject) => {
          child.on('message', (report: LimitWorkerReport) => report.done && reports.push(report));
          child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${index} exited with ${code}`))));
        }),
      );
    }
    // All four load and warm up their hub first, then start together: the limit is under test, not tsx's start-up.
    await Promise.all(ready);
    for (const child of children) child.send({ go: true });
    await Promise.all(done);

    expect(reports.flatMap((report) => report.failed ?? [])).toEqual([]);
    expect(reports.reduce((sum, report) => sum + (report.sent ?? 0), 0)).toBe(workers * perWorker);
    // Every message accepted exactly once: one message per recipient at the sandbox, no one missing.
    const messages = sandbox.whatsapp.messages();
    expect(messages).toHaveLength(workers * perWorker);
    expect(new Set(messages.map((message) => `+${message.to}`))).toEqual(new Set(recipients));
    expect(sandbox.stats().whatsapp.accepted).toBe(workers * perWorker);

    const sorted = [...arrivals.values()].sort((a, b) => a - b);
    const busiest = busiestSecond(sorted);
    const spanMs = (sorted.at(-1) as number) - (sorted[0] as number);
    const rate = ((sorted.length - 1) * 1000) / spanMs;
    // Launch → arrival delays: their spread is what the limiter's margin has to absorb.
    const delays = reports
      .flatMap((report) => report.launches ?? [])
      .map(([to, at]) => (arrivals.get(to) ?? Number.NaN) - at)
      .sort((a, b) => a - b);
    const percentile = (fraction: number) => delays[Math.min(delays.length - 1, Math.floor(fraction * delays.length))];
    console.info(
      `[multi-process limit] ${sorted.length} accepted in ${spanMs} ms: ${rate.toFixed(2)}/s, busiest second ${busiest}; ` +
        `launch→arrival ms p50 ${percentile(0.5)} p99 ${percentile(0.99)} max ${delays.at(-1)}`,
    );
    expect(busiest).toBeLessThanOrEqual(perSecond);
    expect(rate).toBeGreaterThanOrEqual(perSecond * 0.95);
  }, 120_000);
});
