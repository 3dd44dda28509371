// Response and callback shapes of SMS.ru (https://sms.ru/api), as the API returns them with json=1.

export const smsRuSendOk = {
  status: 'OK',
  status_code: 100,
  sms: { '79161234567': { status: 'OK', status_code: 100, sms_id: '000000-10000000' } },
  balance: 4122.56,
};

/** The request is fine but this number is not: per-number status_code 202. */
export const smsRuSendInvalidNumber = {
  status: 'OK',
  status_code: 100,
  sms: {
    '79161234567': {
      status: 'ERROR',
      status_code: 202,
      status_text: 'Неправильно указан номер телефона получателя, либо на него нет маршрута',
    },
  },
  balance: 4122.56,
};

export const smsRuSendNoMoney = {
  status: 'OK',
  status_code: 100,
  sms: { '79161234567': { status: 'ERROR', status_code: 201, status_text: 'Не хватает средств на лицевом счету' } },
  balance: 0.4,
};

/** A request-level error comes with HTTP 200 too. */
export const smsRuBadApiId = { status: 'ERROR', status_code: 200, status_text: 'Неправильный api_id' };

export const smsRuUnavailable = {
  status: 'ERROR',
  status_code: 220,
  status_text: 'Сервис временно недоступен, попробуйте чуть позже',
};

export const smsRuDuplicatePerMinute = {
  status: 'OK',
  status_code: 100,
  sms: {
    '79161234567': {
      status: 'ERROR',
      status_code: 231,
      status_text: 'Превышен лимит одинаковых сообщений на этот номер в минуту',
    },
  },
};

export const smsRuStatusDelivered = {
  status: 'OK',
  status_code: 100,
  sms: { '000000-10000000': { status: 'OK', status_code: 103, status_text: 'Сообщение доставлено', cost: '6.04', sms: 2 } },
  balance: 4116.52,
};

export const smsRuStatusExpired = {
  status: 'OK',
  status_code: 100,
  sms: { '000000-10000000': { status: 'OK', status_code: 104, status_text: 'Не может быть доставлено: время жизни истекло' } },
};

export const smsRuStatusNotFound = {
  status: 'OK',
  status_code: 100,
  sms: { '000000-10000000': { status: 'ERROR', status_code: -1, status_text: 'Сообщение не найдено' } },
};

export const smsRuCostOk = {
  status: 'OK',
  status_code: 100,
  sms: { '79161234567': { status: 'OK', status_code: 100, cost: '6.04', sms: 2 } },
  total_cost: 6.04,
  total_sms: 2,
};

/**
 * The callback body: form-encoded `data[N]` entries, one status per entry (`sms_status\n<id>\n<code>\n<unix time>`).
 * `data[2]` (100, still queued) and `data[3]` (an entry of another kind) must be ignored.
 */
export const smsRuCallbackBody = new URLSearchParams({
  'data[0]': 'sms_status\n000000-10000000\n103\n1773907200',
  'data[1]': 'sms_status\n000000-10000001\n106\n1773907260',
  'data[2]': 'sms_status\n000000-10000002\n100\n1773907261',
  'data[3]': 'callback_check\n1773907262',
}).toString();
