/**
 * SMS for omnidealer: exact segment pricing, SMS.ru, SMSC.ru and Twilio gateways.
 *
 * @module @omnidealer/channel-sms
 */

export { createSmsChannel, type SmsChannel, type SmsChannelSettings } from './sms-channel.js';
export type {
  SmsCostQuote,
  SmsDeliveryStatus,
  SmsGateway,
  SmsGatewaySendRequest,
  SmsGatewaySendResult,
} from './sms-gateway.js';
export { isGsm7, septetsOf } from './sms-gsm-alphabet.js';
export { DEFAULT_SEGMENT_PRICE_MINOR, DEFAULT_SMS_PRICING, type SmsPricing } from './sms-pricing.js';
export { createSmsRuGateway, type SmsRuGatewaySettings } from './sms-ru-gateway.js';
export {
  type CountSegmentsOptions,
  countSegments,
  GSM7_PART_LIMIT,
  GSM7_SINGLE_LIMIT,
  type SegmentCount,
  type SmsEncoding,
  UCS2_PART_LIMIT,
  UCS2_SINGLE_LIMIT,
} from './sms-segments.js';
export type { TransliterationScheme } from './sms-transliteration.js';
export { createSmscGateway, type SmscGatewaySettings } from './smsc-gateway.js';
export { createTwilioGateway, type TwilioGatewaySettings } from './twilio-gateway.js';
export { computeTwilioSignature } from './twilio-signature.js';
