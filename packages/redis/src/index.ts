/**
 * Scale omnidealer out on Redis: shared channel rate limits (an atomic Redis gate) and a BullMQ schedule whose steps
 * run exactly once.
 *
 * @module @omnidealer/redis
 */
export {
  type BullMqScheduler,
  type BullMqSchedulerOptions,
  createBullMqScheduler,
  type JobHandler,
  type ScheduleJobInput,
  toBullJobId,
} from './bullmq-scheduler.js';
export { createRedisRateLimiter, type RedisRateLimiterOptions } from './redis-rate-limiter.js';
