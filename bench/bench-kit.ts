// Shared helpers for the benchmarks: medians over repeated runs, machine info, a printed table and a JSON result file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What every benchmark returns: rows for the table, and the headline figures (ratios against a same-run baseline). */
export interface BenchResult {
  name: string;
  rows: Array<Record<string, string | number>>;
  summary: Record<string, number>;
  /** Goals the figures are checked against, e.g. `{ 'ratio ≥': 0.8 }` — printed as met / missed, never asserted. */
  goals?: Array<{ figure: string; op: '>=' | '<='; target: number }>;
  notes?: string[];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function machineInfo(): Record<string, string | number> {
  const cpu = cpus();
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    freeMemoryGiB: Math.round(freemem() / 2 ** 30),
  };
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

const probeTable = new Int32Array(256 * 1024);
for (let index = 0; index < probeTable.length; index++) probeTable[index] = (index * 2_654_435_761) % probeTable.length;

/**
 * How fast this machine runs cache-bound code right now: ms for 4 million dependent loads from a 1 MiB table (each
 * load's address comes from the one before, so neither the prefetcher nor the compiler hides the memory). On a shared
 * VM the speed of cache-heavy code swings with what the host's other tenants do while pure arithmetic stays put: on
 * the 2-core VM of these results the probe read 31–35 ms quiet and 40–60 ms at other times, and the webhook-ingest
 * rounds moved with it (56–85 k events/s against 41–52 k). Compare results taken at similar probe readings.
 */
export function cacheProbeMs(): number {
  const started = performance.now();
  let position = 0;
  for (let step = 0; step < 4_000_000; step++) position = probeTable[(position + step) & (probeTable.length - 1)] as number;
  const elapsed = performance.now() - started;
  // `position` is used, so the loop cannot be dropped.
  return position < 0 ? Number.NaN : elapsed;
}
// Once at load, so the first reading is not the probe's own warm-up.
cacheProbeMs();

/** Prints the result as a table with goals marked, and writes `bench/results/<name>.json`. */
export function report(result: BenchResult): void {
  console.log(`\n## ${result.name}`);
  console.table(result.rows);
  for (const goal of result.goals ?? []) {
    const value = result.summary[goal.figure];
    const met = value !== undefined && (goal.op === '>=' ? value >= goal.target : value <= goal.target);
    console.log(`  ${met ? 'met   ' : 'MISSED'} ${goal.figure} = ${value} (goal ${goal.op} ${goal.target})`);
  }
  for (const note of result.notes ?? []) console.log(`  note: ${note}`);
  const probeMs = round(cacheProbeMs(), 1);
  console.log(`  cache-bound probe now: ${probeMs} ms (lower is faster; see cacheProbeMs in bench-kit.ts)`);
  const directory = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(directory, { recursive: true });
  writeFileSync(
    join(directory, `${result.name}.json`),
    `${JSON.stringify({ ...result, machine: { ...machineInfo(), cacheProbeMs: probeMs }, at: new Date().toISOString() }, null, 2)}\n`,
  );
}

/** CPU time of the current process in µs (user + system). */
export function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/** Throughput and CPU cost of one measured phase. */
export interface RunFigures {
  perSecond: number;
  cpuMicrosPerMessage: number;
}

/**
 * Runs `task(0)` … `task(count - 1)` with `concurrency` in flight and returns messages/s and CPU µs per message of
 * this process.
 */
export async function measureThroughput(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<unknown>,
): Promise<RunFigures> {
  const cpuBefore = cpuMicros();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
  const elapsedMs = performance.now() - started;
  return { perSecond: (count / elapsedMs) * 1000, cpuMicrosPerMessage: (cpuMicros() - cpuBefore) / count };
}
