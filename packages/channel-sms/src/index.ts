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
export {
  EURO_CODE,
  GSM_BASIC_CHARACTERS,
  GSM_EXTENSION_CHARACTERS,
  GSM_TABLE_SIZE,
  isGsm7,
  septetsOf,
} from './sms-gsm-alphabet.js';
export { assertMobilePhone, classifyPhone, type PhoneCheck, phoneCountryOf } from './sms-phone.js';
export { DEFAULT_SEGMENT_PRICE_MINOR, type SmsPricing, segmentPrice } from './sms-pricing.js';
export { classifySmsRuError, mapSmsRuStatus, smsRuErrorCodes } from './sms-ru-error.js';
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
export { type SmartEncodingReplacement, type SmartEncodingResult, smartEncode } from './sms-smart-encoding.js';
export { type TransliterationResult, type TransliterationScheme, transliterate } from './sms-transliteration.js';
export { classifySmscError, mapSmscStatus, smscErrorCodes } from './smsc-error.js';
export { createSmscGateway, type SmscGatewaySettings } from './smsc-gateway.js';
export { computeSmscSignature, type SmscSignatureAlgorithm, verifySmscSignature } from './smsc-signature.js';
export { classifyTwilioError, mapTwilioStatus } from './twilio-error.js';
export { createTwilioGateway, type TwilioGatewaySettings } from './twilio-gateway.js';
export { computeTwilioSignature, verifyTwilioSignature } from './twilio-signature.js';
