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
