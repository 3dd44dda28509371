import type { Branch, Contact } from '@omnidealer/core';
import { timeZoneOffsetMs } from '@omnidealer/core/provider-utils';

export { timeZoneOffsetMs };

/** Minute of the local day (0…1439) at an instant in a time zone. */
export function localMinuteOfDay(timeZone: string, at: number): number {
  const local = at + timeZoneOffsetMs(timeZone, at);
  return Math.floor((((local % 86_400_000) + 86_400_000) % 86_400_000) / 60_000);
}

/** True when a local minute falls in the quiet period `[fromMinute, toMinute)`, which may wrap midnight. */
export function isQuietMinute(minute: number, fromMinute: number, toMinute: number): boolean {
  if (fromMinute === toMinute) return false;
  return fromMinute < toMinute ? minute >= fromMinute && minute < toMinute : minute >= fromMinute || minute < toMinute;
}

/**
 * The first instant at or after `at` outside the quiet period in the contact's time zone: `at` itself when it is
 * not quiet, else the local `toMinute` (09:00) that ends the period.
 */
export function endOfQuietHours(timeZone: string, at: number, fromMinute: number, toMinute: number): number {
  const minute = localMinuteOfDay(timeZone, at);
  if (!isQuietMinute(minute, fromMinute, toMinute)) return at;
  const waitMinutes = (toMinute - minute + 1440) % 1440;
  const startOfMinute = at - (((at % 60_000) + 60_000) % 60_000);
  const target = startOfMinute + waitMinutes * 60_000;
  // A daylight-saving change during the night shifts local time: correct by the offset difference.
  return target + (timeZoneOffsetMs(timeZone, at) - timeZoneOffsetMs(timeZone, target));
}

/**
 * The time zone quiet hours are read in for a contact on a channel: the contact's own, else its home branch's, else
 * the branch of the channel (a dealer group's branches may sit in different zones), else the policy's default.
 * @example quietHoursTimeZone(contact, channelId, hub.branches, 'Europe/Moscow')
 */
export function quietHoursTimeZone(
  contact: Pick<Contact, 'timeZone' | 'branchId'>,
  channelId: string,
  branches: ReadonlyMap<string, Branch> | undefined,
  defaultTimeZone: string,
): string {
  if (contact.timeZone) return contact.timeZone;
  const home = contact.branchId === undefined ? undefined : branches?.get(contact.branchId);
  if (home?.timeZone) return home.timeZone;
  return branchOfChannel(branches, channelId)?.timeZone ?? defaultTimeZone;
}

const channelIndexes = new WeakMap<ReadonlyMap<string, Branch>, Map<string, Branch>>();

/** The branch a channel is bound to, given the hub's branches (indexed once per branches map). */
export function branchOfChannel(branches: ReadonlyMap<string, Branch> | undefined, channelId: string): Branch | undefined {
  if (!branches || branches.size === 0) return undefined;
  let index = channelIndexes.get(branches);
  if (!index) {
    index = new Map();
    for (const branch of branches.values()) for (const id of branch.channels) index.set(id, branch);
    channelIndexes.set(branches, index);
  }
  return index.get(channelId);
}
