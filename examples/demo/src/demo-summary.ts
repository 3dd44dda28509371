import type { CascadeState } from '@omnidealer/cascade';
import type { Message, Store } from '@omnidealer/core';

/** One channel's row of the summary table. */
export interface ChannelFigures {
  channel: string;
  /** Steps handed to this channel (sent or refused). */
  attempted: number;
  /** Accepted by the provider (has a provider message id). */
  sent: number;
  /** Known delivered (read implies delivered). */
  delivered: number;
  read: number;
  /** Refused at send time, or failed later by a status. */
  failed: number;
  /** What was billed, in kopecks: WhatsApp bills delivered messages (per-message pricing), SMS.ru every accepted SMS. */
  spendMinor: number;
  /** Distinct contacts this channel reached (delivered or read; e-mail: accepted and not bounced). */
  reached: number;
}

/** The campaign's summary: per channel, reach, spend and savings versus SMS only. */
export interface DemoSummary {
  contacts: number;
  /** Contacts reached on at least one channel. */
  reached: number;
  /** Cascades still waiting at the end of the run (0 in sandbox mode). */
  running: number;
  channels: ChannelFigures[];
  totalSpendMinor: number;
  /** Every contact with a phone, sent the campaign's SMS text alone: exact segments × price per segment. */
  smsOnlyMinor: number;
  /** `smsOnlyMinor − totalSpendMinor`. */
  savingsMinor: number;
  /** Contacts (ids) each channel messaged, for cross-checks. */
  recipients: Record<string, string[]>;
}

const channelOrder = ['email', 'max', 'whatsapp', 'sms', 'avito'];

/** Channels that report no delivery: accepted and not failed counts as reached, delivered and read are `n/a`. */
const noReceipts = new Set(['email', 'max']);

const isDelivered = (message: Message) =>
  message.status === 'delivered' ||
  message.status === 'read' ||
  message.statusTimes?.delivered !== undefined ||
  message.statusTimes?.read !== undefined;

const isRead = (message: Message) => message.status === 'read' || message.statusTimes?.read !== undefined;

/** Whether a channel bills this message (and how much). Email, MAX and Avito are free in the demo. */
function billedMinor(channel: string, message: Message): number {
  const amount = message.cost?.amountMinor ?? 0;
  if (message.providerMessageId === undefined) return 0;
  if (channel === 'whatsapp') return isDelivered(message) ? amount : 0;
  return amount;
}

/**
 * Summarises a campaign from the cascades' stored states and the hub's stored messages.
 * @param smsOnlyMinorOf exact price of the contact's SMS text alone (undefined: no phone).
 */
export async function summarizeCampaign(
  store: Store,
  mailingId: string,
  smsOnlyMinorOf: (state: CascadeState) => number | undefined,
): Promise<DemoSummary> {
  const states = (await store.listRecords<CascadeState>('cascade.run', `${mailingId}/`)).map((record) => record.value);
  const rows = new Map<string, ChannelFigures>();
  const recipients: Record<string, string[]> = {};
  const reachedBy = new Map<string, Set<string>>();
  let reached = 0;
  let running = 0;
  let smsOnlyMinor = 0;
  for (const state of states) {
    if (state.status === 'running') running++;
    smsOnlyMinor += smsOnlyMinorOf(state) ?? 0;
    let reachedHere = false;
    for (const step of state.steps) {
      if (step.status === 'deferred') continue;
      let row = rows.get(step.channelId);
      if (!row) {
        row = { channel: step.channelId, attempted: 0, sent: 0, delivered: 0, read: 0, failed: 0, spendMinor: 0, reached: 0 };
        rows.set(step.channelId, row);
      }
      row.attempted++;
      const message = step.messageId ? await store.getMessage(step.messageId) : undefined;
      if (message?.providerMessageId !== undefined) {
        row.sent++;
        (recipients[step.channelId] ??= []).push(state.contact.id);
      }
      // SMS.ru bills an accepted SMS even when it later expires: spend counts before the failure check.
      if (message) row.spendMinor += billedMinor(step.channelId, message);
      if (!message || message.status === 'failed') {
        row.failed++;
        continue;
      }
      const delivered = isDelivered(message);
      if (delivered) row.delivered++;
      if (isRead(message)) row.read++;
      // E-mail and MAX have no delivery receipts here: accepted and not failed counts as reached.
      if (delivered || (noReceipts.has(step.channelId) && message.providerMessageId !== undefined)) {
        reachedHere = true;
        let set = reachedBy.get(step.channelId);
        if (!set) reachedBy.set(step.channelId, (set = new Set()));
        set.add(state.contact.id);
      }
    }
    if (reachedHere) reached++;
  }
  for (const [channel, set] of reachedBy) {
    const row = rows.get(channel);
    if (row) row.reached = set.size;
  }
  const channels = [...rows.values()].sort((a, b) => rank(a.channel) - rank(b.channel) || a.channel.localeCompare(b.channel));
  const totalSpendMinor = channels.reduce((sum, row) => sum + row.spendMinor, 0);
  return {
    contacts: states.length,
    reached,
    running,
    channels,
    totalSpendMinor,
    smsOnlyMinor,
    savingsMinor: smsOnlyMinor - totalSpendMinor,
    recipients,
  };
}

function rank(channel: string): number {
  const index = channelOrder.indexOf(channel);
  return index === -1 ? channelOrder.length : index;
}

/** `1 234,56 ₽` from kopecks (no-break spaces, so a sum never wraps). */
export function formatRub(minor: number): string {
  const sign = minor < 0 ? '−' : '';
  const absolute = Math.abs(minor);
  const roubles = Math.floor(absolute / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0');
  return `${sign}${roubles},${String(absolute % 100).padStart(2, '0')}\u00a0₽`;
}

/** The summary as a plain-text table (what `pnpm demo` prints). */
export function formatSummaryTable(summary: DemoSummary): string {
  const header = ['channel', 'sent', 'delivered', 'read', 'failed', 'reached', 'spend'];
  const lines = summary.channels.map((row) => [
    row.channel,
    String(row.sent),
    noReceipts.has(row.channel) ? 'n/a' : String(row.delivered),
    noReceipts.has(row.channel) ? 'n/a' : String(row.read),
    String(row.failed),
    String(row.reached),
    formatRub(row.spendMinor),
  ]);
  const total = [
    'total',
    String(summary.channels.reduce((sum, row) => sum + row.sent, 0)),
    '',
    '',
    String(summary.channels.reduce((sum, row) => sum + row.failed, 0)),
    String(summary.reached),
    formatRub(summary.totalSpendMinor),
  ];
  const table = [header, ...lines, total];
  const widths = header.map((_, column) => Math.max(...table.map((line) => (line[column] ?? '').length)));
  const render = (line: string[]) =>
    line.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  const rule = widths.map((width) => '─'.repeat(width)).join('  ');
  const ratio = summary.smsOnlyMinor === 0 ? 0 : summary.savingsMinor / summary.smsOnlyMinor;
  return [
    render(header),
    rule,
    ...lines.map(render),
    rule,
    render(total),
    '',
    `contacts ${summary.contacts} · reached ${summary.reached} (${percent(summary.reached, summary.contacts)})`,
    `SMS only would cost ${formatRub(summary.smsOnlyMinor)} · cascade spent ${formatRub(summary.totalSpendMinor)} · ` +
      `savings ${formatRub(summary.savingsMinor)} (${(ratio * 100).toFixed(1)} %)`,
  ].join('\n');
}

/** `42.0 %` */
export function percent(part: number, whole: number): string {
  return whole === 0 ? '0.0 %' : `${((part / whole) * 100).toFixed(1)} %`;
}
