import { z } from 'zod';
import type { ChannelRateLimit } from '../channel.js';

/**
 * The `rateLimit` setting every channel factory takes, checked strictly (a misspelt key is an error naming it). A
 * channel with a provider maximum extends it, e.g. WhatsApp's 1000 messages/s:
 * `rateLimitSettingsSchema.extend({ perSecond: z.number().positive().max(1000).optional() })`.
 * @example
 * const settingsSchema = z.strictObject({ rateLimit: rateLimitSettingsSchema.optional(), ... });
 */
export const rateLimitSettingsSchema = z.strictObject({
  /** Messages per second for the whole account. */
  perSecond: z.number().positive().optional(),
  /** Minimum spacing in ms between two messages to the same recipient. */
  perRecipientIntervalMs: z.number().nonnegative().optional(),
  /** Requests in flight at once. */
  maxConcurrent: z.number().int().positive().optional(),
}) satisfies z.ZodType<ChannelRateLimit>;
