import { describe, expect, it } from 'vitest';
import type { WorkingHours } from './model/branch.js';
import { timeZoneOffsetMs } from './time-zone-offset.js';
import { workingTimeMs } from './working-time.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const weekdaysNineToEight: WorkingHours = {
  mon: [{ from: '09:00', to: '20:00' }],
  tue: [{ from: '09:00', to: '20:00' }],
  wed: [{ from: '09:00', to: '20:00' }],
  thu: [{ from: '09:00', to: '20:00' }],
  fri: [{ from: '09:00', to: '20:00' }],
};
// 2027-03-05 is a Friday, 2027-03-08 (International Women's Day, a holiday in Russia) a Monday.
const moscow = (local: string) => Date.parse(`${local}+03:00`);

describe('workingTimeMs', () => {
  it('counts only working time across a weekend, in the branch zone', () => {
    expect(workingTimeMs(weekdaysNineToEight, 'Europe/Moscow', moscow('2027-03-05T20:00'), moscow('2027-03-08T09:10'))).toBe(
      10 * MINUTE,
    );
    expect(workingTimeMs(weekdaysNineToEight, 'Europe/Moscow', moscow('2027-03-05T19:55'), moscow('2027-03-08T09:05'))).toBe(
      10 * MINUTE,
    );
    expect(workingTimeMs(weekdaysNineToEight, 'Europe/Moscow', moscow('2027-03-08T10:00'), moscow('2027-03-08T10:05'))).toBe(
      5 * MINUTE,
    );
  });

  it('skips holidays', () => {
    const hours = { ...weekdaysNineToEight, holidays: ['2027-03-08'] };
    expect(workingTimeMs(hours, 'Europe/Moscow', moscow('2027-03-05T20:00'), moscow('2027-03-08T09:10'))).toBe(0);
    expect(workingTimeMs(hours, 'Europe/Moscow', moscow('2027-03-05T20:00'), moscow('2027-03-09T09:10'))).toBe(10 * MINUTE);
  });

  it('reads the hours in the branch zone, not UTC', () => {
    // 09:00 in Vladivostok (UTC+10) is 23:00 UTC the day before.
    const from = Date.parse('2027-03-07T22:00:00Z'); // Monday 08:00 in Vladivostok
    const to = Date.parse('2027-03-07T23:30:00Z'); // Monday 09:30 there
    expect(workingTimeMs(weekdaysNineToEight, 'Asia/Vladivostok', from, to)).toBe(30 * MINUTE);
    expect(workingTimeMs(weekdaysNineToEight, undefined, from, to)).toBe(0); // Sunday in UTC
  });

  it('skips breaks between intervals and counts a day ending at 24:00', () => {
    const hours: WorkingHours = {
      mon: [
        { from: '09:00', to: '13:00' },
        { from: '14:00', to: '18:00' },
      ],
      sun: [{ from: '00:00', to: '24:00' }],
    };
    expect(workingTimeMs(hours, 'Europe/Moscow', moscow('2027-03-08T12:30'), moscow('2027-03-08T14:30'))).toBe(HOUR);
    expect(workingTimeMs(hours, 'Europe/Moscow', moscow('2027-03-06T23:00'), moscow('2027-03-08T00:00'))).toBe(24 * HOUR);
  });

  it('follows daylight saving: the Sunday clocks go forward has 23 hours', () => {
    const hours: WorkingHours = { sun: [{ from: '00:00', to: '24:00' }] };
    const from = Date.parse('2027-03-27T12:00:00Z');
    const to = Date.parse('2027-03-30T12:00:00Z');
    expect(workingTimeMs(hours, 'Europe/Berlin', from, to)).toBe(23 * HOUR);
    expect(timeZoneOffsetMs('Europe/Berlin', Date.parse('2027-03-29T00:00:00Z'))).toBe(2 * HOUR);
  });

  it('is 0 for an empty or reversed period and for a branch that never works', () => {
    expect(workingTimeMs(weekdaysNineToEight, 'UTC', 10, 10)).toBe(0);
    expect(workingTimeMs(weekdaysNineToEight, 'UTC', 10, 5)).toBe(0);
    expect(workingTimeMs({}, 'UTC', 0, 7 * 24 * HOUR)).toBe(0);
  });
});
