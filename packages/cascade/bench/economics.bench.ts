// Cascade economics over 12 monthly campaigns to one seeded synthetic dealer base, and planning throughput.
// Run alone: `pnpm bench cascade --seed 7` or `npx tsx packages/cascade/bench/economics.bench.ts --seed=7`
// (`--contacts=2000` for a smaller base). The generator's assumptions are written in packages/cascade/bench/README.md.
// The parts live in economics/: the base generator, the simulated hub, the bench's channels, the learning cascade's
// run, the baselines and the loss breakdown, and the planning-speed measurement (run in child processes of its own).
import { fileURLToPath } from 'node:url';
import { assumptions, buildBase, drawMonth, initialLinks, type Month } from './economics/base-generator.js';
import { fixedOrder, hindsight, lossBreakdown, type Outcome, smsOnly } from './economics/baselines.js';
import { argument, seedArgument } from './economics/command-line.js';
import { benchPolicy, runCascade } from './economics/learning-cascade.js';
import { loadModules } from './economics/modules.js';
import { planningSpeed } from './economics/planning-speed.js';

export { assumptions } from './economics/base-generator.js';
export { seedArgument } from './economics/command-line.js';
export { benchPolicy } from './economics/learning-cascade.js';

/** Same shape as the repository's bench kit result. */
export interface CascadeBenchmarkResult {
  name: string;
  rows: Array<Record<string, string | number>>;
  summary: Record<string, number>;
  goals?: Array<{ figure: string; op: '>=' | '<='; target: number }>;
  /** Campaigns 3–12: per group of contacts, what the cascade spent over hindsight (₽) and how much of it invite links cost. */
  lossesVsHindsight?: Record<string, { contacts: number; excessRub: number; inviteSegmentsRub: number }>;
  notes?: string[];
}

/** Options of {@link runCascadeBenchmark}. The base's behaviour is fixed in {@link assumptions}, not here. */
export interface CascadeBenchmarkOptions {
  /** @default 10 000 */
  contacts?: number;
  /** Seed of the base and of every month's draws. @default 20260302 */
  seed?: number;
  /** Monthly campaigns. @default 12 */
  campaigns?: number;
  /** Plans to time per planner. @default 200 000 */
  planIterations?: number;
}

/**
 * Plans per second of the cascade planner (with per-contact reach history) against a fixed-order planner, and the
 * economics of 12 monthly campaigns to one seeded base: (a) SMS only, (b) fixed MAX/WhatsApp → SMS, (c) the
 * learning cascade, (d) the hindsight optimum of each campaign.
 */
export async function runCascadeBenchmark(options: CascadeBenchmarkOptions = {}): Promise<CascadeBenchmarkResult> {
  const settings: Required<CascadeBenchmarkOptions> = {
    contacts: 10_000,
    seed: 20260302,
    campaigns: 12,
    planIterations: 200_000,
    ...options,
  };
  await loadModules();
  const memoryBefore = process.memoryUsage().rss;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const base = buildBase(settings.contacts, settings.seed);
  const months = Array.from({ length: settings.campaigns }, (_, month) => drawMonth(base, settings.seed, month));
  const links = initialLinks(base, settings.seed);

  // Planning speed, each planner in a fresh process of its own (a heap and JIT profile that neither the 12 campaigns
  // nor the other planner have touched), alternated over rounds so machine noise hits both alike; medians.
  const speed = await planningSpeed(settings);
  const cascadePlans = speed.cascade.cpu;
  const fixedPlans = speed.fixed.cpu;
  const cascadePlansWall = speed.cascade.wall;
  const fixedPlansWall = speed.fixed.wall;
  const learned = await runCascade(base, months, links, benchPolicy);
  const fixedLinks = Uint8Array.from(links);
  const rows: CascadeBenchmarkResult['rows'] = [];
  const per: Array<{ sms: Outcome; fixed: Outcome; cascade: Outcome; best: Outcome }> = [];
  const rub = (minor: number) => Math.round(minor) / 100;
  const perReached = (outcome: Outcome) => outcome.spendMinor / Math.max(1, outcome.reached);
  for (let campaign = 0; campaign < settings.campaigns; campaign++) {
    const month = months[campaign] as Month;
    const sms = smsOnly(base, month);
    const fixed = fixedOrder(base, month, fixedLinks);
    base.forEach((_, index) => {
      if (month.selfLink[index]) fixedLinks[index] = 1;
    });
    const cascade = learned.outcomes[campaign] as Outcome;
    const best = hindsight(base, month, learned.linksPerCampaign[campaign] as Uint8Array);
    per.push({ sms, fixed, cascade, best });
    rows.push({
      campaign: campaign + 1,
      'SMS only ₽': rub(sms.spendMinor),
      'fixed ₽': rub(fixed.spendMinor),
      'cascade ₽': rub(cascade.spendMinor),
      'hindsight ₽': rub(best.spendMinor),
      'reached SMS/fixed/cascade/hindsight': `${sms.reached}/${fixed.reached}/${cascade.reached}/${best.reached}`,
      'cascade sent e/M/W/S': `${cascade.sent.email ?? 0}/${cascade.sent.max ?? 0}/${cascade.sent.whatsapp ?? 0}/${cascade.sent.sms ?? 0}`,
      '₽/reached cascade ÷ hindsight': Math.round((perReached(cascade) / perReached(best)) * 1000) / 1000,
      'cascade vs SMS only %': Math.round((1 - cascade.spendMinor / sms.spendMinor) * 1000) / 10,
      'invites/links': `${cascade.invites ?? 0}/${cascade.links ?? 0}`,
    });
  }

  rows.push(
    {
      campaign: 'plans per CPU second: cascade planner (4 channels, reach model with classes, reasons)',
      value: Math.round(cascadePlans),
    },
    { campaign: 'plans per CPU second: fixed-order planner (3 channels, no pricing order)', value: Math.round(fixedPlans) },
    { campaign: 'plans per wall second: cascade planner', value: Math.round(cascadePlansWall) },
    { campaign: 'plans per wall second: fixed-order planner', value: Math.round(fixedPlansWall) },
  );

  const sum = (pick: (entry: (typeof per)[number]) => number) => per.reduce((total, entry) => total + pick(entry), 0);
  const later = per.slice(2);
  const losses = lossBreakdown(
    base,
    later.map((entry, offset) => ({
      cascade: entry.cascade,
      best: entry.best,
      linked: learned.linksPerCampaign[offset + 2] as Uint8Array,
      invitesExtraPer: entry.cascade.invitesExtraPer ?? new Float64Array(base.length),
    })),
  );
  const ratios = later.map((entry) => perReached(entry.cascade) / perReached(entry.best));
  // The same ratio with the invite links' extra SMS segments left out: hindsight gets the links the cascade's invites
  // made without paying for them, so this shows how close the routing alone comes.
  const inviteMinor = (outcome: Outcome) => (outcome.invitesExtraPer ?? new Float64Array()).reduce((a, b) => a + b, 0);
  const routingRatios = later.map(
    (entry) =>
      (entry.cascade.spendMinor - inviteMinor(entry.cascade)) / Math.max(1, entry.cascade.reached) / perReached(entry.best),
  );
  const hindsightSavings = 1 - sum((e) => e.best.spendMinor) / sum((e) => e.sms.spendMinor);
  const learnedSavings = 1 - sum((e) => e.cascade.spendMinor) / sum((e) => e.sms.spendMinor);
  const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
  const summary: Record<string, number> = {
    seed: settings.seed,
    contacts: base.length,
    campaigns: settings.campaigns,
    learnedCostPerReachedVsHindsight: round(ratios.reduce((a, b) => a + b, 0) / Math.max(1, ratios.length), 3),
    learnedWorstCostPerReachedVsHindsight: round(Math.max(...ratios), 3),
    learnedCostPerReachedVsHindsightWithoutInviteSegments: round(
      routingRatios.reduce((a, b) => a + b, 0) / Math.max(1, routingRatios.length),
      3,
    ),
    inviteSegmentsRub: Math.round(sum((e) => inviteMinor(e.cascade)) / 100),
    learnedSavingsVsSmsOnlyPercent: round(learnedSavings * 100, 1),
    learnedSavingsVsFixedOrderPercent: round((1 - sum((e) => e.cascade.spendMinor) / sum((e) => e.fixed.spendMinor)) * 100, 1),
    learnedReachMinusSmsOnlyMin: Math.min(...later.map((entry) => entry.cascade.reached - entry.sms.reached)),
    firstCostPerReachedVsHindsight: round(
      perReached((per[0] as (typeof per)[number]).cascade) / perReached((per[0] as (typeof per)[number]).best),
      3,
    ),
    hindsightSavingsVsSmsOnlyPercent: round(hindsightSavings * 100, 1),
    // How much of what hindsight saves the cascade saves: the savings goal measured against its own ceiling.
    learnedSavingsShareOfHindsight: round(learnedSavings / hindsightSavings, 3),
    fixedOrderSavingsVsSmsOnlyPercent: round((1 - sum((e) => e.fixed.spendMinor) / sum((e) => e.sms.spendMinor)) * 100, 1),
    invites: sum((e) => e.cascade.invites ?? 0),
    linksFromInvites: sum((e) => e.cascade.links ?? 0),
    // Plans per CPU second of the process (median of the rounds); the wall-clock figures depend on the machine's load.
    cascadePlansPerSecond: Math.round(cascadePlans),
    fixedOrderPlansPerSecond: Math.round(fixedPlans),
    cascadePlansPerWallSecond: Math.round(cascadePlansWall),
    fixedOrderPlansPerWallSecond: Math.round(fixedPlansWall),
    cascadeVsFixedOrderPlanningSpeed: round(cascadePlans / fixedPlans, 2),
    seconds: round((performance.now() - started) / 1000, 1),
    // Wall time on a shared machine can be several times the CPU time; this is the process's own CPU time.
    cpuSeconds: round((process.cpuUsage(cpuBefore).user + process.cpuUsage(cpuBefore).system) / 1_000_000, 1),
    rssGrowthMiB: Math.round((process.memoryUsage().rss - memoryBefore) / 2 ** 20),
  };
  return {
    name: 'cascade economics',
    rows,
    summary,
    lossesVsHindsight: losses,
    goals: [
      { figure: 'learnedCostPerReachedVsHindsight', op: '<=', target: 1.05 },
      { figure: 'learnedReachMinusSmsOnlyMin', op: '>=', target: 0 },
      { figure: 'learnedSavingsVsSmsOnlyPercent', op: '>=', target: 25 },
      { figure: 'cascadePlansPerSecond', op: '>=', target: 500_000 },
    ],
    notes: [
      `${base.length} contacts, seed ${settings.seed}, ${settings.campaigns} campaigns 30 days apart; assumptions: ${JSON.stringify(assumptions)}.`,
      'Reached = a message met its channel’s condition by the month’s draws: e-mail not bounced, MAX to a linked user, ' +
        'WhatsApp read within 24 h, SMS delivered. Hindsight: the cheapest such channel per contact and campaign.',
      'learnedCostPerReachedVsHindsight: mean over campaigns 3–12 of (cascade ₽ per reached ÷ hindsight ₽ per reached); ' +
        'learnedSavingsVsSmsOnlyPercent: all campaigns. SMS only, fixed order and hindsight are computed from the same ' +
        'draws with the same billing (SMS once accepted, WhatsApp once delivered); the cascade runs for real.',
      `The savings goal (≥ 25 % vs SMS only) against its ceiling: the hindsight optimum itself saves ${summary.hindsightSavingsVsSmsOnlyPercent} % ` +
        `under these fixed assumptions; the cascade saves ${summary.learnedSavingsVsSmsOnlyPercent} %, ` +
        `${Math.round((summary.learnedSavingsShareOfHindsight as number) * 100)} % of what hindsight saves. Invite links' extra SMS ` +
        `segments cost ${summary.inviteSegmentsRub} ₽; without them the cost per reached is ` +
        `${summary.learnedCostPerReachedVsHindsightWithoutInviteSegments}× hindsight (lossesVsHindsight: where the rest goes).`,
    ],
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const contacts = argument('contacts');
  const seed = seedArgument();
  const result = await runCascadeBenchmark({ ...(contacts ? { contacts } : {}), ...(seed !== undefined ? { seed } : {}) });
  console.log(`\n## ${result.name}`);
  console.table(result.rows);
  console.table(result.summary);
  console.table(result.lossesVsHindsight);
  for (const goal of result.goals ?? []) {
    const value = result.summary[goal.figure];
    const met = value !== undefined && (goal.op === '>=' ? value >= goal.target : value <= goal.target);
    console.log(`  ${met ? 'met   ' : 'MISSED'} ${goal.figure} = ${value} (goal ${goal.op} ${goal.target})`);
  }
  for (const note of result.notes ?? []) console.log(`  note: ${note}`);
}
