// Before/after of send paths in ONE process, rounds interleaved: the old code is loaded from another checkout
// (e.g. `git worktree add --detach ../base main && (cd ../base && pnpm install)`), so both versions see the same machine
// load minute by minute. On a shared VM whose load swings, separate runs minutes apart are not comparable; this is.
//   pnpm exec tsx --conditions=omnidealer-source bench/send-path-ab.ts ../base 11 1000 base:rawHttp base:hub new:hub
// Each `tree:path` names a checkout (`base` = the first argument, `new` = this one) and a path of send-path-paths.ts.
// Prints medians of CPU µs per message and messages/s, and the median of paired new/base ratios for `hub`.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureThroughput, median } from './bench-kit.js';
import { startStubProcess } from './stub-process.js';

const [baseRoot = '', rounds = '11', perRound = '1000', ...specs] = process.argv.slice(2);
const roots: Record<string, string> = { base: resolve(baseRoot), new: join(dirname(fileURLToPath(import.meta.url)), '..') };
const stub = await startStubProcess();
const tasks: Record<string, (index: number) => Promise<unknown>> = {};
for (const spec of specs) {
  const [tree = '', name] = spec.split(':');
  const paths = (await import(join(roots[tree] as string, 'bench/send-path-paths.ts'))) as {
    createSendPath(name: string, url: string): (index: number) => Promise<unknown>;
  };
  tasks[spec] = paths.createSendPath(name as string, stub.url);
}
let next = 0;
for (const spec of specs) {
  const start = next;
  next += 2000;
  await measureThroughput(2000, 32, (index) => (tasks[spec] as (index: number) => Promise<unknown>)(start + index));
}
const cpu: Record<string, number[]> = {};
const rate: Record<string, number[]> = {};
const count = Number(perRound);
for (let round = 0; round < Number(rounds); round++) {
  for (const spec of round % 2 ? [...specs].reverse() : specs) {
    const start = next;
    next += count;
    const figures = await measureThroughput(count, 32, (index) =>
      (tasks[spec] as (index: number) => Promise<unknown>)(start + index),
    );
    (cpu[spec] ??= []).push(figures.cpuMicrosPerMessage);
    (rate[spec] ??= []).push(figures.perSecond);
  }
}
await stub.stop();
for (const spec of specs)
  console.log(
    `${spec.padEnd(22)} CPU µs ${Math.round(median(cpu[spec] ?? []))}  messages/s ${Math.round(median(rate[spec] ?? []))}`,
  );
// Each path run from both trees: the median of its paired new/base ratios (rounds side by side see the same load).
for (const spec of specs) {
  const [tree, name] = spec.split(':');
  const base = rate[`base:${name}`];
  const mine = rate[spec];
  if (tree !== 'new' || !base || !mine) continue;
  const paired = (figures: Record<string, number[]>) =>
    median((figures[spec] ?? []).map((value, index) => value / ((figures[`base:${name}`] ?? [])[index] as number))).toFixed(3);
  console.log(`new/base ${name} (median of paired rounds): messages/s ${paired(rate)}, CPU ${paired(cpu)}`);
}
const before = cpu['base:hub'];
const after = cpu['new:hub'];
if (before && after)
  console.log(
    'new/base hub CPU (median of paired rounds):',
    median(after.map((value, index) => value / (before[index] as number))).toFixed(3),
  );
process.exit(0);
