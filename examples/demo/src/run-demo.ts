import type { DemoOptions } from './demo-options.js';
import type { DemoIo, DemoResult } from './demo-result.js';
import { runReal } from './run-real.js';
import { runSandbox } from './run-sandbox.js';

export { formatSla } from './demo-dialogs.js';
export type { DemoIo, DemoResult } from './demo-result.js';
export type { SandboxCapture } from './demo-sandbox.js';
export { DemoUsageError } from './demo-usage-error.js';
export { compareMailings, formatLearning, type MailingComparison } from './mailing-comparison.js';
export { springSalePolicy } from './spring-sale.js';

/**
 * Runs the demo: sandbox providers on loopback, a webhook server for the hub, a SQLite store, the spring-sale
 * cascade to seeded contacts with 49 simulated hours of statuses and fallbacks, three inbound dialogs, the SLA
 * report, the summary table and the HTML report. Deterministic for a seed.
 * @throws DemoUsageError when `--real` lacks its environment.
 */
export async function runDemo(options: DemoOptions, io: DemoIo = {}): Promise<DemoResult> {
  return options.real ? runReal(options, io) : runSandbox(options, io);
}
