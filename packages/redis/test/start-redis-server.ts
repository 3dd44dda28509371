import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/** A redis-server this process started; `stop()` ends it. */
export interface StartedRedisServer {
  url: string;
  stop(): Promise<void>;
}

/** True when the `redis-server` binary (or `REDIS_SERVER_BIN`) can be run. */
export function redisServerAvailable(
  binary = process.env.REDIS_SERVER_BIN ?? 'redis-server',
): { ok: true } | { ok: false; reason: string } {
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return probe.error ? { ok: false, reason: probe.error.message } : { ok: true };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
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

/** Starts `redis-server` on loopback on a free port, without persistence (`--save '' --appendonly no`). */
export async function startRedisServer(binary = process.env.REDIS_SERVER_BIN ?? 'redis-server'): Promise<StartedRedisServer> {
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await waitUntilReady(child);
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
