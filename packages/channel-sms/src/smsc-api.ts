import { z } from 'zod';

// Wire format of SMSC.ru with fmt=3 (JSON), lenient: unknown fields pass, numbers may arrive as strings.

const amount = z.union([z.number(), z.string()]).nullish();

/** `/sys/send.php?fmt=3`: `{"id":123,"cnt":1,"cost":"3.4","balance":"1000.5"}` or `{"error":"…","error_code":7}`. */
export const smscSendResponseSchema = z.looseObject({
  id: z.union([z.number(), z.string()]).nullish(),
  cnt: z.coerce.number().nullish(),
  cost: amount,
  balance: amount,
  error: z.string().nullish(),
  error_code: z.coerce.number().nullish(),
});

/** `/sys/status.php?fmt=3`: `{"status":1,"last_date":"…","last_timestamp":1773907200,"err":0}` or an error. */
export const smscStatusResponseSchema = z.looseObject({
  status: z.coerce.number().nullish(),
  last_timestamp: z.coerce.number().nullish(),
  err: z.coerce.number().nullish(),
  cost: amount,
  error: z.string().nullish(),
  error_code: z.coerce.number().nullish(),
});

/**
 * A delivery-status callback SMSC.ru posts (form-encoded) to the URL set in the account settings:
 * `id, phone, status, err, ts, time, cnt, type, cost, md5|sha1`. Lenient: every value is a string, unknown fields pass.
 * Field names from SMSC's "Передача статусов и сообщений на обработчик Клиента"
 * (https://smsc.ru/api/http/miscellaneous/callback/) as read by peer handlers; see the package README.
 */
export const smscCallbackSchema = z.looseObject({
  // SMSC's own ids are numbers; one the client chose at send time is up to 40 latin letters, digits and `.-_`.
  id: z.string().regex(/^[A-Za-z0-9._-]{1,40}$/),
  phone: z.string().regex(/\d/),
  status: z.string().regex(/^-?\d+$/),
  err: z.string().nullish(),
  ts: z.string().nullish(),
  cnt: z.string().nullish(),
  type: z.string().nullish(),
  cost: z.string().nullish(),
});
