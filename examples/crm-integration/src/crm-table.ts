import type { ContactInput } from '@omnidealer/core';

/** One entry of a CRM record's timeline: what happened to the reminder, when, on which channel. */
export interface TimelineEntry {
  /** Epoch milliseconds (the hub's clock). */
  at: number;
  /** `reminder.sent`, `reminder.delivered`, `reminder.read`, `reminder.failed`, `reminder.fallback`, `reminder.reached`, `reminder.unreached`. */
  event: string;
  channel?: string;
  detail?: string;
}

/** A row of the CRM's own contact table: its ids and field names, not omnidealer's. */
export interface CrmContact {
  /** The CRM's primary key; used as the omnidealer contact id, so every event maps back to the row. */
  crmId: string;
  fullName: string;
  mobile: string;
  email?: string;
  /** The booked visit (service or test drive), ISO 8601. */
  visitAt: string;
  /** The CRM's own opt-out flag for messengers and SMS. */
  doNotContact: boolean;
  /** What the integration writes back. */
  reminderStatus: 'pending' | 'sent' | 'reached' | 'unreached';
  timeline: TimelineEntry[];
}

/** The CRM's table, keyed by `crmId`. A real CRM has a database table here; the example keeps it in memory. */
export type CrmTable = Map<string, CrmContact>;

/** Seeds the example table: three bookings for tomorrow and one client who asked not to be contacted. */
export function createCrmTable(): CrmTable {
  const rows: Array<Omit<CrmContact, 'reminderStatus' | 'timeline'>> = [
    {
      crmId: 'crm-1001',
      fullName: 'Иван Петров',
      mobile: '8 (916) 111-00-01',
      visitAt: '2026-03-03T08:00:00Z',
      doNotContact: false,
    },
    {
      crmId: 'crm-1002',
      fullName: 'Мария Соколова',
      mobile: '+7 916 111-00-02',
      visitAt: '2026-03-03T10:30:00Z',
      doNotContact: false,
    },
    { crmId: 'crm-1003', fullName: 'Олег Смирнов', mobile: '+79161110003', visitAt: '2026-03-03T12:00:00Z', doNotContact: false },
    {
      crmId: 'crm-1004',
      fullName: 'Анна Кузнецова',
      mobile: '+79161110004',
      visitAt: '2026-03-03T13:00:00Z',
      doNotContact: true,
    },
  ];
  return new Map(rows.map((row) => [row.crmId, { ...row, reminderStatus: 'pending', timeline: [] }]));
}

/**
 * Maps a CRM row to omnidealer's `ContactInput`. The CRM id becomes the contact id; the CRM's opt-out flag becomes
 * per-channel consent (the cascade never plans an `opted_out` channel). Phones may be in any common format.
 */
export function toContactInput(row: CrmContact): ContactInput {
  const consent = row.doNotContact ? 'opted_out' : 'unknown';
  return {
    id: row.crmId,
    name: row.fullName,
    phone: row.mobile,
    ...(row.email ? { email: row.email } : {}),
    consent: { whatsapp: consent, sms: consent },
    timeZone: 'Europe/Moscow',
  };
}
