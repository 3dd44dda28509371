// `pnpm bench` runs every benchmark in turn (or only those named: `pnpm bench send-path memory`), prints a table per
// benchmark and writes bench/results/<name>.json with machine info. Every figure is a ratio against a baseline
// measured in the same run.

import { runCascadeBenchmark, seedArgument } from '../packages/cascade/bench/economics.bench.js';
import { runSegmentsBenchmark } from '../packages/channel-sms/bench/segments.bench.js';
import { runSharedLimitBenchmark } from '../packages/redis/bench/shared-limit.bench.js';
import { type BenchResult, machineInfo, report } from './bench-kit.js';
import { runMemoryBenchmark } from './memory.bench.js';
import { runPeerNotifmeBenchmark } from './peer-notifme.bench.js';
import { runRateLimitBenchmark } from './rate-limit.bench.js';
import { runSendPathBenchmark } from './send-path.bench.js';
import { runWebhookIngestBenchmark } from './webhook-ingest.bench.js';

const benchmarks: Record<string, () => Promise<BenchResult>> = {
  'send-path': () => runSendPathBenchmark(),
  'rate-limit': () => runRateLimitBenchmark(),
  'webhook-ingest': () => runWebhookIngestBenchmark(),
  segments: async () => (await runSegmentsBenchmark()) as BenchResult,
  cascade: async () => {
    const seed = seedArgument();
    return (await runCascadeBenchmark(seed === undefined ? {} : { seed })) as BenchResult;
  },
  'shared-limit': async () => (await runSharedLimitBenchmark()) as BenchResult,
  memory: () => runMemoryBenchmark(),
  'peer-notifme': () => runPeerNotifmeBenchmark(),
};

// Options and their values (`--seed 7`) are not benchmark names.
const wanted = process.argv.slice(2).filter((argument, index, all) => !argument.startsWith('-') && all[index - 1] !== '--seed');
const unknown = wanted.filter((name) => !(name in benchmarks));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(benchmarks).join(', ')}`);
  process.exit(2);
}
console.log('machine:', machineInfo());
const summary: Array<Record<string, string | number>> = [];
for (const [name, run] of Object.entries(benchmarks)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const started = performance.now();
  const result = await run();
  report(result);
  const goals = result.goals ?? [];
  const met = goals.filter((goal) => {
    const value = result.summary[goal.figure];
    return value !== undefined && (goal.op === '>=' ? value >= goal.target : value <= goal.target);
  }).length;
  summary.push({
    benchmark: name,
    'goals met': `${met}/${goals.length}`,
    seconds: Math.round((performance.now() - started) / 1000),
  });
}
console.log('\n## summary');
console.table(summary);
