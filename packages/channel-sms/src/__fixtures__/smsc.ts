// Answers of SMSC.ru with fmt=3 (https://smsc.ru/api/http/).

export const smscSendOk = { id: 4521, cnt: 2, cost: '6.8', balance: '1093.2' };
export const smscSendBadNumber = { error: 'invalid number', error_code: 7 };
export const smscSendCannotDeliver = { error: 'cannot deliver', error_code: 8 };
export const smscSendNoMoney = { error: 'no money', error_code: 3 };
export const smscSendBadLogin = { error: 'authorise error', error_code: 2 };
export const smscSendDuplicate = { error: 'duplicate request, wait a minute', error_code: 9 };
export const smscCostOk = { cost: '6.8', cnt: 2 };
export const smscStatusDelivered = { status: 1, last_date: '19.03.2026 09:00:05', last_timestamp: 1773910805, err: 0 };
export const smscStatusWrongNumber = { status: 22, last_date: '19.03.2026 09:00:05', last_timestamp: 1773910805, err: 1 };
export const smscStatusWaiting = { status: -1, last_date: '19.03.2026 09:00:00', last_timestamp: 1773910800, err: 0 };

// Delivery-status callbacks as SMSC.ru posts them (form-encoded) to the URL set in the account settings; field names
// from https://smsc.ru/api/http/miscellaneous/callback/ as read by peer handlers. Signed with `smscCallbackSecret`.
export const smscCallbackSecret = 'smsc-callback-secret-5f1e';
export const smscCallbackDelivered = {
  id: '4521',
  phone: '79161234567',
  status: '1',
  time: '19.03.2026 09:00:05',
  ts: '1773910805',
  err: '0',
  cnt: '2',
  type: '0',
  cost: '6.80',
};
export const smscCallbackWrongNumber = { ...smscCallbackDelivered, status: '22', err: '1', cost: '0' };
export const smscCallbackExpired = { ...smscCallbackDelivered, status: '3', err: '0', cost: '6.80' };
export const smscCallbackQueued = { ...smscCallbackDelivered, status: '-1' };
export const smscCallbackUnknownStatus = { ...smscCallbackDelivered, status: '77' };
export const smscCallbackInbound = { phone: '79161234567', mes: 'Да, приеду', to: '79035550000', sms_id: '91', ts: '1773910805' };
