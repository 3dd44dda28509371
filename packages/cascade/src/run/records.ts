import type { CascadeState } from '../cascade-state.js';
import { buildReport, type CascadeReport } from '../report.js';
import { type CascadeContext, indexNamespace, load, runNamespace } from './context.js';

/** {@link Cascade.get}: the stored state of a cascade, found by id through the index. */
export async function getCascade(ctx: CascadeContext, cascadeId: string): Promise<CascadeState | undefined> {
  const key = await ctx.store.getRecord<string>(indexNamespace, cascadeId);
  return key === undefined ? undefined : load(ctx, key);
}

/** {@link Cascade.report}: the report over the stored cascades of one campaign, or of every one. */
export async function reportCascades(ctx: CascadeContext, reportOptions: { campaign?: string } = {}): Promise<CascadeReport> {
  const records = await ctx.store.listRecords<CascadeState>(
    runNamespace,
    reportOptions.campaign === undefined ? '' : `${reportOptions.campaign}/`,
  );
  return buildReport(
    ctx.store,
    records.map((record) => record.value),
    reportOptions.campaign,
    (channelId) => ctx.hub.channels.get(channelId)?.capabilities.billedOn ?? 'accepted',
  );
}
