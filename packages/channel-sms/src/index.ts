/** @module @omnidealer/channel-sms — SMS for omnidealer: exact segment pricing, SMS.ru and Twilio gateways. */
export {
  EURO_CODE,
  GSM_BASIC_CHARACTERS,
  GSM_EXTENSION_CHARACTERS,
  GSM_TABLE_SIZE,
  isGsm7,
  septetsOf,
} from './sms-gsm-alphabet.js';
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
