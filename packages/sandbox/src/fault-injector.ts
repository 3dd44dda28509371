import { createSeededRandom } from './random.js';
import type { ResolvedFaultRule, SandboxProvider } from './sandbox-behaviour.js';

/** Decides, per request, whether a configured fault hits it. */
export interface FaultInjector {
  /** The fault for this request, if any. Counts the request against every rule it matches. */
  decide(provider: SandboxProvider, path: string): ResolvedFaultRule | undefined;
}

/** Creates a {@link FaultInjector}. Rate-based faults are seeded by (seed, rule index, request number). */
export function createFaultInjector(seed: number | string, rules: readonly ResolvedFaultRule[]): FaultInjector {
  const counters = rules.map(() => 0);
  return {
    decide(provider, path) {
      let hit: ResolvedFaultRule | undefined;
      rules.forEach((rule, index) => {
        if (rule.provider !== 'all' && rule.provider !== provider) return;
        if (rule.path !== undefined && !path.includes(rule.path)) return;
        const count = (counters[index] = (counters[index] ?? 0) + 1);
        if (hit) return;
        let applies = true;
        if (rule.first !== undefined) applies = count <= rule.first;
        if (applies && rule.rate !== undefined) applies = createSeededRandom(seed, 'fault', index, count).chance(rule.rate);
        if (applies) hit = rule;
      });
      return hit;
    },
  };
}
