/**
 * Send each message on the cheapest channel that will reach the person, and fall back in time.
 *
 * @module @omnidealer/cascade
 */
export { type CampaignInput, type CampaignResult, type CampaignSender, runCampaign } from './campaign.js';
export { type Cascade, type CascadeOptions, type CascadeSendOptions, createCascade } from './cascade.js';
export { type CascadeContent, type NormalizedContent, normalizeContent, renderForChannel } from './cascade-content.js';
export type { CampaignProgress, CascadeEvents, FallbackReason } from './cascade-events.js';
export {
  type AcquisitionPolicy,
  type CascadePolicy,
  type ConsentRule,
  cascadePolicySchema,
  DAY_MS,
  type FallbackCondition,
  type FallbackTrigger,
  type FrequencyCap,
  HOUR_MS,
  type Ordering,
  type QuietHours,
  type ResolvedAcquisition,
  type ResolvedPolicy,
  resolvePolicy,
} from './cascade-policy.js';
export type { CascadeState, CascadeStatus, CascadeStepRecord, CascadeStepStatus } from './cascade-state.js';
export {
  type CostReport,
  type CostReportBranchRow,
  type CostReportOptions,
  type CostReportRow,
  costReport,
  costReportToCsv,
} from './cost-report.js';
export {
  type CascadePlan,
  type DeliveryRecord,
  type ExcludedChannel,
  type ExclusionReason,
  type PlanFacts,
  type PlannedStep,
  type PlanOptions,
  plan,
} from './planner.js';
export {
  branchOfChannel,
  endOfQuietHours,
  isQuietMinute,
  localMinuteOfDay,
  quietHoursTimeZone,
  timeZoneOffsetMs,
} from './quiet-hours.js';
export {
  classReach,
  estimateReach,
  fitReachClasses,
  type ReachBasis,
  type ReachClasses,
  type ReachModelSettings,
} from './reach-model.js';
export { type AcquisitionReport, buildReport, type CascadeReport, type ChannelReport } from './report.js';
