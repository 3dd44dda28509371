// Starts bench/provider-stub.ts in a child process and hands back its URL and stats.
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StubProcess {
  url: string;
  stats(): Promise<{ accepted: Array<[string, number]>; rejected: number }>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startStubProcess(environment: Record<string, string> = {}): Promise<StubProcess> {
  const child = fork(join(dirname(fileURLToPath(import.meta.url)), 'provider-stub.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...environment },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { port: number }).port));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`stub exited with ${code}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    async stats() {
      return (await (await fetch(`${url}/stats`)).json()) as { accepted: Array<[string, number]>; rejected: number };
    },
    async reset() {
      await fetch(`${url}/reset`, { method: 'POST' });
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await exited;
    },
  };
}
