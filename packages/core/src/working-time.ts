import { minuteOfDay, type WorkingHours, weekdays } from './model/branch.js';
import { timeZoneOffsetMs } from './time-zone-offset.js';

const DAY_MS = 86_400_000;

/** The instant a local wall-clock time (as ms since the epoch, read as if UTC) stands for in a time zone. */
function localToInstant(timeZone: string, local: number): number {
  const guess = local - timeZoneOffsetMs(timeZone, local);
  return local - timeZoneOffsetMs(timeZone, guess);
}

/**
 * How much of `[from, to)` falls in working hours, in ms, reading the hours in `timeZone` (UTC when absent): a customer
 * who wrote at 20:00 on Friday and was answered at 09:10 on Monday of a branch opening at 09:00 waited 10 working
 * minutes. Holidays count as closed. A period longer than ten years counts its first ten.
 * @example workingTimeMs(branch.workingHours, 'Europe/Moscow', friday20h, monday0910) // 600_000
 */
export function workingTimeMs(hours: WorkingHours, timeZone: string | undefined, from: number, to: number): number {
  if (!(to > from)) return 0;
  const zone = timeZone ?? 'UTC';
  const holidays = new Set(hours.holidays ?? []);
  const firstDay = Math.floor((from + timeZoneOffsetMs(zone, from)) / DAY_MS);
  const lastDay = Math.min(Math.floor((to + timeZoneOffsetMs(zone, to)) / DAY_MS), firstDay + 3653);
  let total = 0;
  for (let day = firstDay; day <= lastDay; day++) {
    const midnight = day * DAY_MS;
    const date = new Date(midnight);
    const intervals = hours[weekdays[date.getUTCDay()] ?? 'sun'];
    if (!intervals?.length || holidays.has(date.toISOString().slice(0, 10))) continue;
    for (const interval of intervals) {
      const start = localToInstant(zone, midnight + minuteOfDay(interval.from) * 60_000);
      const end = localToInstant(zone, midnight + minuteOfDay(interval.to) * 60_000);
      total += Math.max(0, Math.min(end, to) - Math.max(start, from));
    }
  }
  return total;
}
