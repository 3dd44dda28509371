// Planning speed: plans per second of the cascade planner against a fixed-order planner, each in fresh processes of
// its own. The child processes run this file with `--planner=…` and print one planner's figures as one JSON line.
import { fileURLToPath } from 'node:url';
import type { Channel, Contact } from '@omnidealer/core';
import type { NormalizedContent } from '../../src/cascade-content.js';
import { buildBase, DAY_MS, type Person } from './base-generator.js';
import { createChannels } from './channels.js';
import { argument, seedArgument } from './command-line.js';
import { benchPolicy } from './learning-cascade.js';
import { loadModules, modules } from './modules.js';

/** What the planning-speed measurement needs of the benchmark's options. */
export interface PlanningSpeedSettings {
  contacts: number;
  seed: number;
  /** Plans to time per planner. */
  planIterations: number;
}

/** A fixed-order planner (what people configure by hand): the same checks, no pricing, no ordering. */
function fixedOrderPlan(contact: Contact, content: NormalizedContent, channels: readonly Channel[], now: number) {
  const steps: Array<{ channelId: string; costMinor: number }> = [];
  for (const channel of channels) {
    const rendered = modules.renderForChannel(channel, content);
    if (!rendered) continue;
    const reach = channel.canReach({ contact, content: rendered, now });
    if (!reach.reachable) continue;
    steps.push({ channelId: channel.id, costMinor: channel.estimateCost(rendered, contact, { now }).money.amountMinor });
  }
  return steps;
}

/**
 * Plans per second of one round, by the wall clock and by the process's CPU time. On a shared machine the wall clock
 * counts the time other jobs hold the core; the CPU time does not (and counts the GC's helper threads against the
 * planner, so it is the conservative figure on an idle machine).
 */
function plansPerSecond(
  base: Person[],
  iterations: number,
  run: (person: Person, index: number) => unknown,
): { wall: number; cpu: number } {
  for (let index = 0; index < Math.min(iterations, 5_000); index++) run(base[index % base.length] as Person, index % base.length); // warm up
  const cpuStarted = process.cpuUsage();
  const started = performance.now();
  for (let index = 0; index < iterations; index++) run(base[index % base.length] as Person, index % base.length);
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  return { wall: iterations / wallSeconds, cpu: iterations / ((cpu.user + cpu.system) / 1_000_000) };
}

type Planner = 'cascade' | 'fixed';

/** Plans per second of one planner in this process: warm-up, then `rounds` rounds, each figure's median. */
async function measurePlanner(
  planner: Planner,
  contacts: number,
  seed: number,
  iterations: number,
): Promise<{ wall: number; cpu: number }> {
  await loadModules();
  const base = buildBase(contacts, seed);
  const { all: channels } = createChannels();
  const ordered = channels.filter((channel) => channel.id !== 'email');
  const now = Date.parse('2026-03-02T07:00:00Z');
  const facts = base.map((_, index) => ({
    whatsapp: { delivered: index % 3, failed: 0, sent: 2, read: index % 2, lastAt: now - 30 * DAY_MS },
    sms: { delivered: 2, failed: 0, sent: 2, lastAt: now - 30 * DAY_MS },
  }));
  const totals = {
    whatsapp: { delivered: 8000, failed: 0, sent: 9000, read: 5000 },
    sms: { delivered: 9500, failed: 300, sent: 9800 },
  };
  // The reader classes the cascade fits from the base (as after a few campaigns): the planner weighs them per contact.
  const classes = {
    whatsapp: { share: 0.7, high: 0.87, low: 0.03, contacts },
    sms: { share: 0.98, high: 0.99, low: 0.001, contacts },
  };
  const run =
    planner === 'cascade'
      ? (person: Person, index: number) =>
          modules.plan(person.contact, person.content, {
            channels,
            now,
            policy: benchPolicy,
            kind: 'marketing',
            reach: facts[index] as (typeof facts)[number],
            reachTotals: totals,
            reachClasses: classes,
          })
      : (person: Person) => fixedOrderPlan(person.contact, person.content, ordered, now);
  plansPerSecond(base, Math.min(iterations, 20_000), run); // warm-up: the JIT settles
  (globalThis as { gc?: () => void }).gc?.();
  const rounds = Array.from({ length: 5 }, () => plansPerSecond(base, iterations / 5, run));
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  return { wall: median(rounds.map((round) => round.wall)), cpu: median(rounds.map((round) => round.cpu)) };
}

/** Runs {@link measurePlanner} in a child process (this file with `--planner=…`), or here when that is not possible. */
async function planInChild(planner: Planner, settings: PlanningSpeedSettings): Promise<{ wall: number; cpu: number }> {
  const { execFile } = await import('node:child_process');
  const file = fileURLToPath(import.meta.url);
  const args = [
    ...process.execArgv,
    file,
    `--planner=${planner}`,
    `--contacts=${settings.contacts}`,
    `--seed=${settings.seed}`,
    `--iterations=${settings.planIterations}`,
  ];
  try {
    const output = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, args, { maxBuffer: 1 << 20 }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
    const line = output.trim().split('\n').pop() ?? '';
    return JSON.parse(line) as { wall: number; cpu: number };
  } catch {
    return measurePlanner(planner, settings.contacts, settings.seed, settings.planIterations);
  }
}

/** Both planners, three fresh processes each, alternated; the median of each figure. */
export async function planningSpeed(settings: PlanningSpeedSettings) {
  const runs: Record<Planner, Array<{ wall: number; cpu: number }>> = { cascade: [], fixed: [] };
  for (let round = 0; round < 3; round++)
    for (const planner of ['cascade', 'fixed'] as const) runs[planner].push(await planInChild(planner, settings));
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const pick = (planner: Planner) => ({
    wall: median(runs[planner].map((run) => run.wall)),
    cpu: median(runs[planner].map((run) => run.cpu)),
  });
  return { cascade: pick('cascade'), fixed: pick('fixed') };
}

const plannerArgument = process.argv.find((value) => value.startsWith('--planner='))?.split('=')[1];
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && plannerArgument) {
  // A child of planningSpeed: one planner's figures as one JSON line.
  const measured = await measurePlanner(
    plannerArgument as Planner,
    argument('contacts') ?? 10_000,
    seedArgument() ?? 20260302,
    argument('iterations') ?? 200_000,
  );
  console.log(JSON.stringify(measured));
}
