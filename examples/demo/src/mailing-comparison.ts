import type { CascadeReport } from '@omnidealer/cascade';
import { formatRub } from './demo-summary.js';

/** Two mailings to one base compared, from their cascade reports. */
export interface MailingComparison {
  /** The first mailing's ₽ per reached customer, in kopecks (`CascadeReport.costPerReachedMinor`). */
  firstPerReachedMinor: number;
  /** The second mailing's, a month later. */
  secondPerReachedMinor: number;
  /** `1 − second ÷ first`, in percent. */
  savingPercent: number;
  /** The first mailing's invite links to MAX: SMS that carried one, customers who pressed Start, extra segments. */
  acquisition: CascadeReport['acquisition'];
}

/** Compares two mailings' cascade reports by what they spent per reached customer. */
export function compareMailings(first: CascadeReport, second: CascadeReport): MailingComparison {
  return {
    firstPerReachedMinor: first.costPerReachedMinor,
    secondPerReachedMinor: second.costPerReachedMinor,
    savingPercent: first.costPerReachedMinor > 0 ? (1 - second.costPerReachedMinor / first.costPerReachedMinor) * 100 : 0,
    acquisition: first.acquisition,
  };
}

/** Two lines: both mailings' cost per reached customer and the saving, and what the first mailing's invites did. */
export function formatLearning(learning: MailingComparison): string {
  const { invites, links, extraCostMinor, paybackMailings } = learning.acquisition;
  return (
    `A month later, same base: ${formatRub(Math.round(learning.secondPerReachedMinor))} per reached customer instead of ` +
    `${formatRub(Math.round(learning.firstPerReachedMinor))} (${learning.savingPercent.toFixed(1)} % less), for what the ` +
    'first mailing taught: who is not on WhatsApp, whose e-mail bounces, who now reads the dealer in MAX.\n' +
    `The first mailing's ${invites} invite links to MAX cost ${formatRub(extraCostMinor)} of extra SMS segments; ` +
    `${links} customers pressed Start and get mailings there for free` +
    (paybackMailings === undefined ? '.' : ` (the links pay back in ${paybackMailings.toFixed(1)} mailings).`)
  );
}
