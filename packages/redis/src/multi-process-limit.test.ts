// Issue 9's multi-process proof: 4 worker processes on one Redis send 2 000 WhatsApp messages under an 80/s limit; the
// sandbox (the provider) must never see more than 80 arrivals in any one-second window, and get ≥ 95 % of 80/s.
import { type ChildProcess, fork } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { LimitWorkerReport } from './__fixtures__/limit-worker.js';
import { canCapturePackets, capturePackets } from './__fixtures__/packet-capture.js';
import { testRedisUrl } from './__fixtures__/redis-url.js';
import type { SandboxHostReport } from './__fixtures__/sandbox-host.js';

const redisUrl = testRedisUrl();
const worker = fileURLToPath(new URL('./__fixtures__/limit-worker.ts', import.meta.url));
const sandboxHost = fileURLToPath(new URL('./__fixtures__/sandbox-host.ts', import.meta.url));
const packageRoot = fileURLToPath(new URL('..', import.meta.url));

function forkTypeScript(file: string, args: string[]): ChildProcess {
  return fork(file, args, {
    cwd: packageRoot,
    execArgv: ['--conditions=omnidealer-source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** The next message from `child` that has `key`. */
function nextReport<T extends object>(child: ChildProcess, key: keyof T): Promise<T> {
  return new Promise((resolve) => {
    const listener = (report: T) => {
      if (report[key] === undefined) return;
      child.off('message', listener);
      resolve(report);
    };
    child.on('message', listener);
  });
}

/** Sets a child's scheduling priority (nice value), where the OS allows it: raising one needs root. */
function prioritise(child: ChildProcess, nice: number): void {
  try {
    if (child.pid !== undefined) setPriority(child.pid, nice);
  } catch {
    // Not permitted here: the proof then runs with that process at normal priority.
  }
}

/** Most times inside any one-second window (a window starts at each time; `sorted` ascending). */
function busiestSecond(sorted: readonly number[]): number {
  let busiest = 0;
  for (let start = 0, end = 0; start < sorted.length; start++) {
    while (end < sorted.length && (sorted[end] as number) - (sorted[start] as number) < 1000) end++;
    busiest = Math.max(busiest, end - start);
  }
  return busiest;
}

// The provider counts requests as they reach it. On this machine the sandbox is a Node process that stamps a request
// when its event loop gets to it: on 2 shared cores that loop is now and then held up 30–100 ms (even at the highest
// priority), and the requests that waited get stamped together — a count no real provider's edge would make. So the
// proof counts kernel packet times at the sandbox's port (tcpdump; CI installs it and runs as root). Without a capture
// it runs only when asked (OMNIDEALER_MULTI_PROCESS_LIMIT=1), on the sandbox's own stamps.
const capturing = canCapturePackets();
const optedIn = process.env.OMNIDEALER_MULTI_PROCESS_LIMIT === '1';

describe.skipIf(!redisUrl || !(capturing || optedIn))(
  '4 worker processes on one Redis share one WhatsApp limit (real redis-server, sandbox)',
  () => {
    const children: ChildProcess[] = [];
    afterAll(() => {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    });

    it('2 000 messages at 80/s: never more than 80 in any second at the sandbox, ≥ 95 % of 80/s, each accepted once', async () => {
      const workers = 4;
      const perWorker = 500;
      const perSecond = 80;
      const host = forkTypeScript(sandboxHost, []);
      // The sandbox plays the provider, whose clock runs on its own machine: on this one it must not wait for the CPU
      // behind the workers (or anything else running), or it answers late.
      prioritise(host, -10);
      children.push(host);
      const { baseUrl, phoneNumberId, accessToken } = (await nextReport<SandboxHostReport>(host, 'ready')).ready as NonNullable<
        SandboxHostReport['ready']
      >;
      const recipients = Array.from({ length: workers * perWorker }, (_, index) => `+7916${String(index).padStart(7, '0')}`);
      const warmUps = Array.from({ length: workers }, (_, worker) => [1, 2, 3].map((index) => `+79990000${worker}0${index}`));

      const reports: LimitWorkerReport[] = [];
      const ready: Promise<void>[] = [];
      const senders: ChildProcess[] = [];
      const done: Promise<void>[] = [];
      for (let index = 0; index < workers; index++) {
        const config = {
          baseUrl,
          phoneNumberId,
          accessToken,
          perSecond,
          warmUp: warmUps[index] as string[],
          recipients: recipients.slice(index * perWorker, (index + 1) * perWorker),
        };
        const child = forkTypeScript(worker, [redisUrl, JSON.stringify(config)]);
        children.push(child);
        senders.push(child);
        ready.push(nextReport<LimitWorkerReport>(child, 'ready').then(() => undefined));
        done.push(
          new Promise((resolve, reject) => {
            child.on('message', (report: LimitWorkerReport) => report.done && reports.push(report));
            child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${index} exited with ${code}`))));
          }),
        );
      }
      // All four load and warm up their hub first, then start together, once the warm-up sends are out of every window:
      // the limit is under test, not tsx's start-up or code compiled on a first send.
      await Promise.all(ready);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const capture = capturing ? await capturePackets(Number(new URL(baseUrl).port)) : undefined;
      host.send('measure');
      for (const child of senders) child.send({ go: true });
      await Promise.all(done);
      const edgeArrivals = await capture?.stop();

      host.send('report');
      const provider = await nextReport<SandboxHostReport>(host, 'arrivals');
      host.send('stop');

      expect(reports.flatMap((report) => report.failed ?? [])).toEqual([]);
      expect(reports.reduce((sum, report) => sum + (report.sent ?? 0), 0)).toBe(workers * perWorker);
      // Every message accepted exactly once: one message per recipient at the sandbox, no one missing.
      const everyone = [...warmUps.flat(), ...recipients];
      expect(provider.messagesTo).toHaveLength(everyone.length);
      expect(new Set(provider.messagesTo?.map((to) => `+${to}`))).toEqual(new Set(everyone));
      expect(provider.accepted).toBe(everyone.length);

      // The sandbox's own stamps (its event loop, in Node): printed, and the measure when no capture is possible.
      const measured = new Set(recipients.map((phone) => phone.slice(1)));
      const arrivals = new Map(provider.arrivals?.filter(([to]) => measured.has(to)));
      const stamped = [...arrivals.values()].sort((a, b) => a - b);
      // Launch (body written) → sandbox stamp: the spread the limiter's margin has to absorb.
      const delays = reports
        .flatMap((report) => report.launches ?? [])
        .map(([to, at]) => (arrivals.get(to) ?? Number.NaN) - at)
        .sort((a, b) => a - b);
      const percentile = (fraction: number) => delays[Math.min(delays.length - 1, Math.floor(fraction * delays.length))];
      const atEdge = edgeArrivals?.sort((a, b) => a - b);
      const counted = atEdge ?? stamped;
      const spanMs = (counted.at(-1) as number) - (counted[0] as number);
      const rate = ((counted.length - 1) * 1000) / spanMs;
      const busiest = busiestSecond(counted);
      console.info(
        `[multi-process limit] ${counted.length} requests in ${spanMs.toFixed(0)} ms: ${rate.toFixed(2)}/s, busiest second ` +
          `${busiest} (${atEdge ? 'kernel packet times at the sandbox port' : 'sandbox event-loop stamps: no packet capture here'}); ` +
          `sandbox event-loop stamps: busiest second ${busiestSecond(stamped)}, held up to ${provider.longestStallMs} ms; ` +
          `launch→stamp ms p50 ${percentile(0.5)} p99 ${percentile(0.99)} max ${delays.at(-1)}`,
      );
      const context = `sandbox event loop held up to ${provider.longestStallMs} ms, launch→stamp max ${delays.at(-1)} ms`;
      if (atEdge) expect(atEdge, 'one captured request per measured message').toHaveLength(recipients.length);
      expect(busiest, context).toBeLessThanOrEqual(perSecond);
      expect(rate, context).toBeGreaterThanOrEqual(perSecond * 0.95);
    }, 120_000);
  },
);
