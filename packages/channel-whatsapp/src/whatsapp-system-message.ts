import type { IdentityEvent } from '@omnidealer/core/provider-utils';
import type { WhatsAppInboundMessage } from './whatsapp-api.js';

/** System message types that move a user to a new number or business-scoped user id. */
const numberChanges = new Set(['user_changed_number', 'customer_changed_number']);

/**
 * A `system` message that changes who the sender is, as an {@link IdentityEvent}: `user_changed_number` gives the
 * new `wa_id` (`system.wa_id`, `new_wa_id` before webhooks v12) and, since BSUIDs, the new and previous user ids;
 * `user_changed_user_id` (the number changed but may not be shown) gives only the new user id, which then becomes
 * the address replies go to. Other system messages (`customer_identity_changed`, a security-code change) change no
 * identity: `undefined`.
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/system/
 */
export function whatsAppIdentityEvent(message: WhatsAppInboundMessage): IdentityEvent | undefined {
  const system = message.system;
  if (message.type !== 'system' || !system?.type) return undefined;
  const newUserId = system.user_id ?? undefined;
  // `from_user_id` on a system message may already be the new id; only a different one is the old.
  const oldUserId =
    system.previous_user_id ?? (message.from_user_id && message.from_user_id !== newUserId ? message.from_user_id : undefined);
  const from = message.from ?? system.customer ?? undefined;
  const base = {
    type: 'identity' as const,
    providerMessageId: message.id,
    at: message.timestamp * 1000,
    ...(from ? { from } : {}),
    ...(oldUserId ? { senderId: oldUserId } : {}),
    ...(newUserId && newUserId !== oldUserId ? { newSenderId: newUserId } : {}),
  };
  if (!from && !oldUserId) return undefined;
  if (numberChanges.has(system.type)) {
    const newWaId = system.wa_id ?? system.new_wa_id ?? undefined;
    if (!newWaId && !base.newSenderId) return undefined;
    return {
      ...base,
      ...(newWaId ? { newAddress: newWaId, ...(/^\d+$/.test(newWaId) ? { newPhone: `+${newWaId}` } : {}) } : {}),
    };
  }
  if (system.type === 'user_changed_user_id' && base.newSenderId) return { ...base, newAddress: base.newSenderId };
  return undefined;
}
