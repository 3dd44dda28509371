import type { ContactInput, SlaReport } from '@omnidealer/core';
import type { SandboxCapture } from './demo-sandbox.js';
import type { DemoSummary } from './demo-summary.js';
import type { MailingComparison } from './mailing-comparison.js';
import type { ProgressTarget } from './progress-bar.js';

/** Where the demo writes: progress (stderr) and results (stdout). */
export interface DemoIo {
  /** Progress bars. @default none */
  progress?: ProgressTarget | undefined;
  /** Result lines. @default none */
  log?: ((text: string) => void) | undefined;
  env?: Record<string, string | undefined>;
}

/** The outcome of one demo run. */
export interface DemoResult {
  summary: DemoSummary;
  /** The summary as printed. */
  table: string;
  sla: SlaReport;
  /** One line per inbound dialog. */
  dialogs: string[];
  reportPath: string;
  wallMs: number;
  /** Seeded contacts of the campaign (sandbox mode). */
  contacts: readonly ContactInput[];
  sandbox?: SandboxCapture | undefined;
  /** Sandbox mode: the same base mailed again a month later, with what the first mailing taught. */
  followUp?: DemoSummary | undefined;
  /** Sandbox mode: both mailings' cost per reached customer and the saving. */
  learning?: MailingComparison | undefined;
}
