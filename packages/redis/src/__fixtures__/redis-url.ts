import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `redis://127.0.0.1:<port>` of the test server, or '' when there is none (the Redis tests skip). */
    redisUrl: string;
  }
}

/** The URL of the redis-server the global setup started, or '' when redis-server is missing (tests skip). */
export const testRedisUrl = (): string => inject('redisUrl');
