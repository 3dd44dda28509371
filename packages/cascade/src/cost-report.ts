import type { Message, Omnidealer } from '@omnidealer/core';

/** Options of {@link costReport}. */
export interface CostReportOptions {
  /** Messages created at or after this instant (ms since the epoch). @default the beginning */
  from?: number;
  /** Messages created before this instant. @default no end */
  to?: number;
}

/** One row of a {@link CostReport}: the outbound messages of one channel, campaign and kind in the date range. */
export interface CostReportRow {
  channel: string;
  /** The cascade campaign (mailing id), `''` for messages sent outside a campaign. */
  campaign: string;
  /** The message kind given to `hub.send` or the cascade (`marketing`, `service`…), `''` when none was. */
  kind: string;
  /** Outbound messages created in the range, whatever became of them. */
  messages: number;
  /** Accepted by the provider. */
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  /** What they cost, in minor units, as the provider bills (see `ChannelCapabilities.billedOn`). */
  spendMinor: number;
  currency: string;
}

/**
 * One branch's line of a {@link CostReport}: the outbound messages of its conversations (a dealer group's showroom or
 * service centre). `branch` is `''` for conversations of the whole group (channels bound to no branch).
 */
export interface CostReportBranchRow {
  branch: string;
  messages: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  spendMinor: number;
  currency: string;
}

/** Spend over every outbound message of the hub (not only cascades), per channel, campaign and kind, and per branch. */
export interface CostReport {
  from: number | undefined;
  to: number | undefined;
  rows: CostReportRow[];
  /**
   * The same messages per branch of a dealer group, by the branch of their conversation (the branch it is in now,
   * after any hand-off), else of their channel; `''` for the group's own. Sums to `totalSpendMinor`. One row (`''`)
   * for a hub without branches.
   */
  byBranch: CostReportBranchRow[];
  totalSpendMinor: number;
  currency: string;
}

type Counts = Omit<CostReportBranchRow, 'branch'>;

const emptyCounts = (currency: string): Counts => ({
  messages: 0,
  sent: 0,
  delivered: 0,
  read: 0,
  failed: 0,
  spendMinor: 0,
  currency,
});

const delivered = (message: Message) =>
  message.status === 'delivered' ||
  message.status === 'read' ||
  message.statusTimes?.delivered !== undefined ||
  message.statusTimes?.read !== undefined;

const isAccepted = (message: Message) => message.providerMessageId !== undefined || message.statusTimes?.sent !== undefined;

/** The campaign of a message: a cascade's key is `<campaign or ->/<cascade id>`. */
function campaignOf(message: Message): string {
  const key = message.metadata?.cascadeKey;
  if (typeof key !== 'string') return typeof message.metadata?.campaign === 'string' ? message.metadata.campaign : '';
  const campaign = key.slice(0, key.indexOf('/'));
  return campaign === '-' ? '' : campaign;
}

/**
 * The cost report for BI (Power BI, Metabase, a spreadsheet): every outbound message the hub stored in a date range,
 * through cascades or plain `hub.send`, grouped per channel, campaign and kind, with what the provider bills (SMS once
 * accepted, WhatsApp once delivered). Reads the whole store (every conversation's messages): run it off-peak or on a
 * replica for large stores. Export with {@link costReportToCsv} or `JSON.stringify`.
 * @example
 * const report = await costReport(hub, { from: Date.parse('2026-03-01'), to: Date.parse('2026-04-01') });
 * await writeFile('spend-2026-03.csv', costReportToCsv(report));
 */
export async function costReport(
  hub: Pick<Omnidealer, 'store' | 'channels'> & Partial<Pick<Omnidealer, 'branchOf'>>,
  options: CostReportOptions = {},
): Promise<CostReport> {
  const from = options.from ?? Number.NEGATIVE_INFINITY;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  const rows = new Map<string, CostReportRow>();
  const branches = new Map<string, CostReportBranchRow>();
  let totalSpendMinor = 0;
  let currency = 'RUB';
  for (const conversation of await hub.store.listConversations()) {
    for (const message of await hub.store.listMessages(conversation.id)) {
      if (message.direction !== 'outbound' || message.createdAt < from || message.createdAt >= to) continue;
      const campaign = campaignOf(message);
      const kind = typeof message.metadata?.kind === 'string' ? message.metadata.kind : '';
      const key = `${message.channel}\u0000${campaign}\u0000${kind}`;
      let row = rows.get(key);
      if (!row) {
        row = { channel: message.channel, campaign, kind, ...emptyCounts(message.cost?.currency ?? 'RUB') };
        rows.set(key, row);
      }
      const branch = conversation.branchId ?? hub.branchOf?.(message.channel)?.id ?? '';
      let branchRow = branches.get(branch);
      if (!branchRow) {
        branchRow = { branch, ...emptyCounts(row.currency) };
        branches.set(branch, branchRow);
      }
      const billedOn = hub.channels.get(message.channel)?.capabilities.billedOn ?? 'accepted';
      count(row, message, billedOn);
      const spend = count(branchRow, message, billedOn);
      totalSpendMinor += spend;
      if (isAccepted(message)) currency = row.currency;
    }
  }
  const sorted = [...rows.values()].sort(
    (a, b) => a.channel.localeCompare(b.channel) || a.campaign.localeCompare(b.campaign) || a.kind.localeCompare(b.kind),
  );
  return {
    from: options.from,
    to: options.to,
    rows: sorted,
    byBranch: [...branches.values()].sort((a, b) => a.branch.localeCompare(b.branch)),
    totalSpendMinor,
    currency,
  };
}

/** Adds a message to a row's counts; resolves with what it cost (0 until billed). */
function count(row: Counts, message: Message, billedOn: 'accepted' | 'delivered'): number {
  row.messages++;
  if (message.status === 'failed') row.failed++;
  if (delivered(message)) row.delivered++;
  if (message.status === 'read' || message.statusTimes?.read !== undefined) row.read++;
  if (!isAccepted(message)) return 0;
  row.sent++;
  const spend = billedOn === 'accepted' || delivered(message) ? (message.cost?.amountMinor ?? 0) : 0;
  row.spendMinor += spend;
  return spend;
}

const columns: Array<keyof CostReportRow> = [
  'channel',
  'campaign',
  'kind',
  'messages',
  'sent',
  'delivered',
  'read',
  'failed',
  'spendMinor',
  'currency',
];

function csvField(value: string | number): string {
  const text = String(value);
  // Quote fields with separators or quotes; a leading =, +, - or @ would run as a formula in a spreadsheet.
  const safe = /^[=+\-@]/.test(text) && typeof value === 'string' ? `'${text}` : text;
  return /[",\r\n]/.test(safe) || safe !== text ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/**
 * The report as CSV (RFC 4180, comma-separated, a header row, `\r\n` line ends, spend in minor units), with the
 * date range as ISO dates in two leading columns so rows from several exports can be appended.
 */
export function costReportToCsv(report: Omit<CostReport, 'byBranch'>): string {
  const range = [
    report.from === undefined ? '' : new Date(report.from).toISOString(),
    report.to === undefined ? '' : new Date(report.to).toISOString(),
  ];
  const lines = [['from', 'to', ...columns].join(',')];
  for (const row of report.rows) lines.push([...range, ...columns.map((column) => row[column])].map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
