// Response, error and webhook shapes of Twilio Programmable Messaging (https://www.twilio.com/docs/messaging/api/message-resource).

export const twilioAccountSid = 'ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
export const twilioAuthToken = 'twilio-auth-token-1234567890abcdef';

export const twilioMessageQueued = {
  account_sid: twilioAccountSid,
  api_version: '2010-04-01',
  body: 'Your Toyota Camry is ready for pickup.',
  date_created: 'Thu, 19 Mar 2026 09:00:00 +0000',
  date_sent: null,
  date_updated: 'Thu, 19 Mar 2026 09:00:00 +0000',
  direction: 'outbound-api',
  error_code: null,
  error_message: null,
  from: '+15017122661',
  messaging_service_sid: null,
  num_media: '0',
  num_segments: '1',
  price: null,
  price_unit: 'USD',
  sid: 'SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  status: 'queued',
  subresource_uris: {
    media: '/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Messages/SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Media.json',
  },
  to: '+79161234567',
  uri: '/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Messages/SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json',
};

export const twilioMessageUndelivered = {
  ...twilioMessageQueued,
  status: 'undelivered',
  error_code: 30003,
  error_message: 'Unreachable destination handset',
  price: '-0.07900',
};

export const twilioMessageDelivered = { ...twilioMessageQueued, status: 'delivered', num_segments: '2', price: '-0.15800' };

export const twilioInvalidTo = {
  code: 21211,
  message: "The 'To' number +7916123 is not a valid phone number.",
  more_info: 'https://www.twilio.com/docs/errors/21211',
  status: 400,
};

export const twilioUnsubscribed = {
  code: 21610,
  message: 'Attempt to send to unsubscribed recipient',
  more_info: 'https://www.twilio.com/docs/errors/21610',
  status: 400,
};

export const twilioRegionDisabled = {
  code: 21408,
  message: 'Permission to send an SMS has not been enabled for the region indicated by the To number: +79161234567.',
  more_info: 'https://www.twilio.com/docs/errors/21408',
  status: 400,
};

export const twilioTooManyRequests = {
  code: 20429,
  message: 'Too Many Requests',
  more_info: 'https://www.twilio.com/docs/errors/20429',
  status: 429,
};

export const twilioAuthFailed = {
  code: 20003,
  message: 'Authenticate',
  more_info: 'https://www.twilio.com/docs/errors/20003',
  status: 401,
};

/** Status callback parameters Twilio posts (form-encoded) to StatusCallback. */
export const twilioStatusCallback = {
  SmsSid: 'SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  SmsStatus: 'undelivered',
  MessageStatus: 'undelivered',
  To: '+79161234567',
  MessageSid: 'SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  AccountSid: twilioAccountSid,
  From: '+15017122661',
  ApiVersion: '2010-04-01',
  ErrorCode: '30003',
};

/** Inbound SMS parameters Twilio posts to the number's messaging webhook. */
export const twilioInboundSms = {
  ToCountry: 'US',
  SmsMessageSid: 'SMbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
  NumMedia: '0',
  SmsSid: 'SMbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
  SmsStatus: 'received',
  Body: 'Да, приеду завтра в 11',
  To: '+15017122661',
  NumSegments: '1',
  MessageSid: 'SMbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
  AccountSid: twilioAccountSid,
  From: '+79161234567',
  ApiVersion: '2010-04-01',
};
