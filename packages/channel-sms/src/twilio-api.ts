import { z } from 'zod';

// Wire format of Twilio Programmable Messaging, lenient: unknown fields pass, numbers may arrive as strings.

/** A Message resource (`POST/GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json`). */
export const twilioMessageSchema = z.looseObject({
  sid: z.string(),
  status: z.string(),
  num_segments: z.coerce.number().nullish(),
  price: z.union([z.string(), z.number()]).nullish(),
  price_unit: z.string().nullish(),
  error_code: z.union([z.number(), z.string()]).nullish(),
  error_message: z.string().nullish(),
  date_updated: z.string().nullish(),
});
export type TwilioMessage = z.infer<typeof twilioMessageSchema>;

/** Twilio's error body: `{"code":21211,"message":"…","more_info":"https://www.twilio.com/docs/errors/21211","status":400}`. */
export const twilioErrorSchema = z.looseObject({
  code: z.coerce.number().nullish(),
  message: z.string().nullish(),
  more_info: z.string().nullish(),
  status: z.coerce.number().nullish(),
});

/** Twilio's decimal price (`"-0.07900"`, negative = charged) → minor units of `price_unit`, rounded to the nearest. */
export function twilioPriceToMinor(price: string | number | null | undefined): number | undefined {
  if (price === null || price === undefined || price === '') return undefined;
  const value = Math.abs(typeof price === 'number' ? price : Number(price));
  return Number.isFinite(value) ? Math.round(value * 100) : undefined;
}
