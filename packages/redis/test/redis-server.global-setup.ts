// Starts a throwaway redis-server on loopback for this package's tests and stops it afterwards.
// Without the binary the tests are skipped with a message — except under CI, where a missing redis-server fails the run.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `redis://127.0.0.1:<port>` of the test server, or '' when there is none (tests skip). */
    redisUrl: string;
  }
}

const binary = process.env.REDIS_SERVER_BIN ?? 'redis-server';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function waitUntilReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code} before it was ready:\n${output}`));
    });
  });
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (probe.error) {
    if (process.env.CI) {
      throw new Error(
        `redis-server is required under CI for @omnidealer/redis tests (${probe.error.message}); install it: apt-get install -y redis-server`,
      );
    }
    console.warn(
      '[@omnidealer/redis] redis-server not found: the Redis tests are SKIPPED. Install it: apt-get install -y redis-server',
    );
    project.provide('redisUrl', '');
    return undefined;
  }
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await waitUntilReady(child);
  project.provide('redisUrl', `redis://127.0.0.1:${port}`);
  return async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
}
