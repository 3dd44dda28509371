/**
 * Our message id rides on every send as `biz_opaque_callback_data`, which Cloud API does not process and returns in
 * the `statuses` webhooks of that message (sent, delivered, read, failed); at most 512 characters. So a send whose
 * answer (with the wamid) was lost, or that a crash cut short, is still matched by its statuses: the hub fills in
 * the wamid (`StatusEvent.messageId`). The prefix tells our value from one another app on the same WhatsApp
 * Business Account set: only ours is read back.
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages — `biz_opaque_callback_data`:
 * "An arbitrary string, useful for tracking … included in statuses object within webhook payloads … Maximum 512
 * characters."
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components — `statuses[].biz_opaque_callback_data`
 */
const prefix = 'omnidealer:';
/** Meta's limit on `biz_opaque_callback_data`. */
const maxLength = 512;

/** The `biz_opaque_callback_data` a send carries: our message id, prefixed. Undefined if it would not fit. */
export function toWhatsAppCallbackData(messageId: string): string | undefined {
  const data = `${prefix}${messageId}`;
  return data.length <= maxLength ? data : undefined;
}

/** Our message id from a status's `biz_opaque_callback_data`, when the value is ours. */
export function messageIdFromWhatsAppCallbackData(data: string | null | undefined): string | undefined {
  if (!data?.startsWith(prefix)) return undefined;
  const id = data.slice(prefix.length);
  return id.length > 0 ? id : undefined;
}
