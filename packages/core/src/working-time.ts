import { minuteOfDay, type WorkingHours, weekdays } from './model/branch.js';

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The offset of a time zone from UTC at an instant, in ms (Moscow: +3 h). */
export function zoneOffsetMs(timeZone: string, at: number): number {
  const parts: Record<string, number> = {};
  const instant = Math.floor(at / 1000) * 1000;
  for (const part of formatterOf(timeZone).formatToParts(instant))
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  const asUtc = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return asUtc - instant;
}

/** The instant a local wall-clock time (as ms since the epoch, read as if UTC) stands for in a time zone. */
function localToInstant(timeZone: string, local: number): number {
  const guess = local - zoneOffsetMs(timeZone, local);
  return local - zoneOffsetMs(timeZone, guess);
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
  const firstDay = Math.floor((from + zoneOffsetMs(zone, from)) / DAY_MS);
  const lastDay = Math.min(Math.floor((to + zoneOffsetMs(zone, to)) / DAY_MS), firstDay + 3653);
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
