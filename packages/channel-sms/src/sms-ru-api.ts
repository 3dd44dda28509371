import { z } from 'zod';

// Wire format of SMS.ru (https://sms.ru/api), lenient: unknown fields pass, numbers may arrive as strings.

const code = z.coerce.number();
const amount = z.union([z.number(), z.string()]).nullish();

/** One recipient in an `/sms/send` answer. */
export const smsRuSendItemSchema = z.looseObject({
  status: z.string(),
  status_code: code,
  sms_id: z.string().nullish(),
  status_text: z.string().nullish(),
});

/** `/sms/send?json=1`: `{"status":"OK","status_code":100,"sms":{"79161234567":{…}},"balance":4122.56}`. */
export const smsRuSendResponseSchema = z.looseObject({
  status: z.string(),
  status_code: code,
  status_text: z.string().nullish(),
  sms: z.record(z.string(), smsRuSendItemSchema).nullish(),
  balance: amount,
});
export type SmsRuSendResponse = z.infer<typeof smsRuSendResponseSchema>;

/** One number's entry in `/sms/status` and `/sms/cost` answers: its status, price and segment count. */
const smsRuPricedItemSchema = z.looseObject({
  status: z.string(),
  status_code: code,
  status_text: z.string().nullish(),
  cost: amount,
  sms: z.coerce.number().nullish(),
});

/** `/sms/status?json=1`: `{"status":"OK","status_code":100,"sms":{"<sms_id>":{"status":"OK","status_code":103,…}}}`. */
export const smsRuStatusResponseSchema = z.looseObject({
  status: z.string(),
  status_code: code,
  status_text: z.string().nullish(),
  sms: z.record(z.string(), smsRuPricedItemSchema).nullish(),
});

/** `/sms/cost?json=1`: `{"status":"OK","sms":{"79161234567":{"cost":"6.04","sms":2}},"total_cost":6.04,"total_sms":2}`. */
export const smsRuCostResponseSchema = z.looseObject({
  status: z.string(),
  status_code: code,
  status_text: z.string().nullish(),
  sms: z.record(z.string(), smsRuPricedItemSchema).nullish(),
  total_cost: amount,
  total_sms: z.coerce.number().nullish(),
});

/** Rubles as SMS.ru writes them (`"3.02"`, `3.02`) → kopecks. */
export function rublesToKopecks(value: number | string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const rubles = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(rubles) ? Math.round(rubles * 100) : undefined;
}
