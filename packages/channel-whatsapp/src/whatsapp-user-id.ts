/**
 * WhatsApp business-scoped user ids (BSUIDs): the id Meta gives a user towards one business portfolio. A user who
 * set a WhatsApp username and hides their number is known by it alone. Format: an ISO 3166 country code, a dot, up
 * to 128 alphanumerics (`US.13491208655302741918`); a parent BSUID, shared by linked portfolios, has `ENT` after the
 * country (`US.ENT.11815799212886844830`).
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/
 */
const userIdPattern = /^([A-Za-z]{2})\.(?:ENT\.)?[A-Za-z0-9]{1,128}$/;

/** True for a business-scoped user id (or parent id), false for a phone number or `wa_id`. */
export function isWhatsAppUserId(address: string): boolean {
  return userIdPattern.test(address);
}

/** The ISO country a business-scoped user id starts with (`US` for `US.1349…`), for pricing without a phone. */
export function whatsAppUserIdCountry(address: string): string | undefined {
  return userIdPattern.exec(address)?.[1]?.toUpperCase();
}
