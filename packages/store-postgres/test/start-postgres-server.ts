// A throwaway PostgreSQL cluster for tests and benchmarks: initdb into a temporary folder, a Unix socket in that folder
// (no TCP listener), a random port number (it names the socket file), pg_ctl start; stop() stops it and deletes the
// folder. Run as root (containers, CI), the server programs run as the `postgres` user (or `nobody`): initdb and
// postgres refuse root.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How to install the server programs, for skip and failure messages. */
export const postgresInstallHint =
  'apt-get install -y postgresql (Debian/Ubuntu; scripts/setup.sh does it), or set POSTGRES_BIN_DIR to the folder holding initdb and pg_ctl';

/** A PostgreSQL cluster this process started; `stop()` stops it and removes its folder. */
export interface StartedPostgresServer {
  /** `postgresql://omnidealer@/omnidealer_test?host=<socket folder>&port=<port>` — no password (trust on the socket). */
  url: string;
  /** The folder holding the data directory and the socket. */
  directory: string;
  port: number;
  stop(): Promise<void>;
}

/** Options of {@link startPostgresServer}. */
export interface StartPostgresServerOptions {
  /** Keep PostgreSQL's own durability (`fsync`, synchronous commit); off by default to keep tests fast. @default false */
  durable?: boolean;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
}

/** The folder holding initdb and pg_ctl: `POSTGRES_BIN_DIR`, else the newest `/usr/lib/postgresql/<version>/bin`. */
export function findPostgresBinDir(): string | undefined {
  const fromEnv = process.env.POSTGRES_BIN_DIR;
  if (fromEnv) return existsSync(join(fromEnv, 'initdb')) ? fromEnv : undefined;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((version) => existsSync(join(root, version, 'bin', 'initdb')) && existsSync(join(root, version, 'bin', 'pg_ctl')))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/** True when the server programs are there (see {@link findPostgresBinDir}). */
export function postgresServerAvailable(): { ok: true; binDir: string } | { ok: false; reason: string } {
  const binDir = findPostgresBinDir();
  return binDir ? { ok: true, binDir } : { ok: false, reason: 'initdb and pg_ctl not found under /usr/lib/postgresql/*/bin' };
}

/** Under root, the user the server runs as: `postgres` when it exists, else `nobody`. */
function serverUser(): { uid: number; gid: number; name: string } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const probe = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    if (probe.status !== 0) continue;
    const uid = Number(probe.stdout.trim());
    const gid = Number(spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim());
    return { uid, gid, name };
  }
  throw new Error('running as root and neither a `postgres` nor a `nobody` user exists to run PostgreSQL as');
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

/** Starts a new cluster (see the file comment) with database `omnidealer_test` owned by superuser `omnidealer`. */
export async function startPostgresServer(options: StartPostgresServerOptions = {}): Promise<StartedPostgresServer> {
  const available = postgresServerAvailable();
  if (!available.ok) throw new Error(`PostgreSQL not found (${available.reason}): ${postgresInstallHint}`);
  const bin = (name: string) => join(available.binDir, name);
  const user = serverUser();
  const directory = mkdtempSync(join(tmpdir(), 'omnidealer-pg-'));
  const data = join(directory, 'data');
  if (user) {
    chownSync(directory, user.uid, user.gid);
    chmodSync(directory, 0o755);
  }
  // As root, each program runs with the server user's ids (execFileSync's uid/gid: no su, no login shell).
  const asServer = user ? { uid: user.uid, gid: user.gid } : {};
  const runProgram = (name: string, args: string[]) =>
    execFileSync(bin(name), args, { ...asServer, cwd: directory, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

  const port = await freePort();
  const durable = options.durable ?? false;
  const settings: Record<string, string | number> = {
    listen_addresses: "''",
    unix_socket_directories: `'${directory}'`,
    port,
    max_connections: 200,
    ...(durable ? {} : { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }),
    ...options.settings,
  };
  const serverOptions = Object.entries(settings)
    .map(([name, value]) => `-c ${name}=${value}`)
    .join(' ');
  try {
    runProgram('initdb', ['-D', data, '-U', 'omnidealer', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    runProgram('pg_ctl', ['-D', data, '-l', join(directory, 'server.log'), '-o', serverOptions, '-w', '-t', '30', 'start']);
    runProgram('createdb', ['-h', directory, '-p', String(port), '-U', 'omnidealer', 'omnidealer_test']);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    spawnSync(bin('pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'], { ...asServer, stdio: 'ignore' });
    rmSync(directory, { recursive: true, force: true });
    throw new Error(`could not start a throwaway PostgreSQL cluster: ${(error as Error).message}\n${stderr}`);
  }

  let stopped = false;
  // A process that exits without calling stop() (process.exit, an uncaught error) still stops its cluster; only a
  // SIGKILL or SIGPIPE can leave one behind (`pg_ctl -D /tmp/omnidealer-pg-*/data stop` then).
  const stopOnExit = () => {
    if (stopped) return;
    stopped = true;
    spawnSync(bin('pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], { ...asServer, stdio: 'ignore' });
    rmSync(directory, { recursive: true, force: true });
  };
  process.once('exit', stopOnExit);
  return {
    url: `postgresql://omnidealer@/omnidealer_test?host=${encodeURIComponent(directory)}&port=${port}`,
    directory,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off('exit', stopOnExit);
      try {
        spawnSync(bin('pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], { ...asServer, stdio: 'ignore' });
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    },
  };
}
