import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script run by its SHA1, loaded on first use (or after a Redis restart forgot it). */
export interface RedisScript {
  sha: string;
  source: string;
}

function script(source: string): RedisScript {
  return { sha: createHash('sha1').update(source).digest('hex'), source };
}

/**
 * The gate every process asks, atomically, before each launch. Redis's clock is the only clock; nothing is booked ahead:
 * a launch is admitted now or the caller is told how long to wait and must ask again.
 *
 * KEYS: 1 launch log (ZSET of launch times), 2 next planned slot, 3 recipient's last launch (a key living `interval` ms).
 * ARGV: 1 window ms, 2 perSecond (0: none), 3 spacing ms, 4 member for this launch, 5 recipient interval ms (0: none),
 * 6/7/8 an earlier admission to give back first: its member, the slot it planned and the slot planned before it
 * ('' when none).
 * Returns `{0, planned, previous}` (admitted), `{1, ms}` (recipient inside its interval), `{2, ms}` (account budget:
 * wait, then ask again).
 */
export const gateScript = script(`
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local window = tonumber(ARGV[1])
local perSecond = tonumber(ARGV[2])
local spacing = tonumber(ARGV[3])
local interval = tonumber(ARGV[5])
local keep = math.ceil(window * 2)
if ARGV[6] ~= '' then
  redis.call('ZREM', KEYS[1], ARGV[6])
  if ARGV[7] ~= '' and redis.call('GET', KEYS[2]) == ARGV[7] then redis.call('SET', KEYS[2], ARGV[8], 'PX', keep) end
  if interval > 0 and redis.call('GET', KEYS[3]) == ARGV[6] then redis.call('DEL', KEYS[3]) end
end
if interval > 0 then
  local ttl = redis.call('PTTL', KEYS[3])
  if ttl > 0 then return {1, ttl} end
end
local planned, previous = '', ''
if perSecond > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  if redis.call('ZCARD', KEYS[1]) >= perSecond then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {2, math.ceil(tonumber(oldest[2]) + window - now)}
  end
  local nextSlot = tonumber(redis.call('GET', KEYS[2]) or '0')
  if now < nextSlot then return {2, math.ceil(nextSlot - now)} end
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], keep)
  previous = string.format('%.3f', nextSlot)
  planned = string.format('%.3f', math.max(nextSlot, now - 4 * spacing) + spacing)
  redis.call('SET', KEYS[2], planned, 'PX', keep)
end
if interval > 0 then redis.call('SET', KEYS[3], ARGV[4], 'PX', interval) end
return {0, planned, previous}
`);

/**
 * Moves an admitted launch to when its request really left (Redis's clock, just after it did): a process held up
 * between the gate's answer and its write (the OS, a GC pause) would otherwise leave its launch logged too early, and a
 * launch admitted a window later could then reach the provider within one second of it.
 * KEYS: 1 launch log, 2 recipient's last launch. ARGV: 1 member, 2 recipient interval ms (0: none).
 */
export const restampScript = script(`
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
local interval = tonumber(ARGV[2])
if interval > 0 and redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('PEXPIRE', KEYS[2], interval) end
return 1
`);

/** Runs `script` by its SHA1, sending the source once when Redis does not know it (NOSCRIPT). */
export async function runScript(redis: Redis, script: RedisScript, keys: string[], args: string[]): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!String((error as Error | undefined)?.message).includes('NOSCRIPT')) throw error;
    return await redis.eval(script.source, keys.length, ...keys, ...args);
  }
}
