/**
 * Release checks on what `pnpm publish` would upload: every package is built, packed with `pnpm pack` (which applies
 * `publishConfig`, so the workspace-only `omnidealer-source` condition and `workspace:^` ranges are gone), then
 * - linted with publint (no errors, no warnings),
 * - checked with are-the-types-wrong, profile `node16` (node16 ESM + CJS and bundler must resolve; `node10` — resolution
 *   without `exports` — is ignored by that profile on purpose: the packages need Node >= 20.19, and `main`/`types` still
 *   cover the root entry point for old tools),
 * - listed: a tarball holds `dist/`, README.md, CHANGELOG.md, LICENSE (the root MIT licence) and package.json only,
 *   within a size budget.
 * In CI (`CI=true`) or with `OMNIDEALER_PACKAGING_CONSUMERS=1`, an ESM and a CommonJS project install the tarballs with npm and
 * import every package; the ESM one is also type-checked with `moduleResolution: nodenext`.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const testsRoot = resolve(here, '..');
const repoRoot = resolve(testsRoot, '../..');
const bin = (name: string) => join(testsRoot, 'node_modules', '.bin', name);
// On in CI (CI=true), so CI and the README run the same `pnpm test:ci`; off locally unless asked for (npm installs).
const withConsumers = process.env.OMNIDEALER_PACKAGING_CONSUMERS === '1' || process.env.CI === 'true';

/** One row per publishable package: the folder, a value export and its packed size budget in kB (measured + ~50%). */
const packages = [
  // core packed 271 kB, over its 270 kB budget, once SLA retention, webhook-key forgetting and the per-contact locks came;
  // 348 kB with the third entry point, `/provider-utils` (its CommonJS build and source map repeat the shared runtime);
  // 529 kB once `/test` got testChannelContract, whose CommonJS build and source map carry a copy of the hub;
  // 563 kB with reconciling unconfirmed sends, number-change guards, reach counts and flat per-message prices;
  // 646 kB with dealer-group branches (working time, hand-off), provider webhook routes, the long poller, job
  // wake-ups and outbox claims.
  { dir: 'core', name: '@omnidealer/core', exportName: 'createOmnidealer', budgetKb: 690 },
  { dir: 'channel-whatsapp', name: '@omnidealer/channel-whatsapp', exportName: 'createWhatsAppChannel', budgetKb: 170 },
  { dir: 'channel-avito', name: '@omnidealer/channel-avito', exportName: 'createAvitoChannel', budgetKb: 115 },
  // channel-max packed 89.8 kB when it came.
  { dir: 'channel-max', name: '@omnidealer/channel-max', exportName: 'createMaxChannel', budgetKb: 135 },
  { dir: 'channel-telegram', name: '@omnidealer/channel-telegram', exportName: 'createTelegramChannel', budgetKb: 120 },
  // channel-vk packed 90.3 kB when it came.
  { dir: 'channel-vk', name: '@omnidealer/channel-vk', exportName: 'createVkChannel', budgetKb: 135 },
  { dir: 'channel-sms', name: '@omnidealer/channel-sms', exportName: 'createSmsChannel', budgetKb: 160 },
  { dir: 'channel-email', name: '@omnidealer/channel-email', exportName: 'createEmailChannel', budgetKb: 115 },
  // cascade packed 155 kB with reach classes, branch scope, leases and job wake-ups; 181 kB with invites decided by
  // payback and dead channels given up (issue #25).
  { dir: 'cascade', name: '@omnidealer/cascade', exportName: 'createCascade', budgetKb: 200 },
  { dir: 'store-sqlite', name: '@omnidealer/store-sqlite', exportName: 'createSqliteStore', budgetKb: 45 },
  // store-postgres packed 70 kB when it came (issue #24).
  { dir: 'store-postgres', name: '@omnidealer/store-postgres', exportName: 'createPostgresStore', budgetKb: 105 },
  // redis packed 37 kB once the shared rate limiter moved in from core (issue #20).
  { dir: 'redis', name: '@omnidealer/redis', exportName: 'createBullMqScheduler', budgetKb: 55 },
  { dir: 'sandbox', name: '@omnidealer/sandbox', exportName: 'startSandbox', budgetKb: 300 },
] as const;

interface Packed {
  dir: string;
  tarball: string;
  packedBytes: number;
  unpackedBytes: number;
  files: string[];
  /** publint errors and warnings, formatted. */
  publint: string[];
  /** are-the-types-wrong problems outside `node10`, and the CLI exit code. */
  attw: { problems: unknown[]; exitCode: number };
}

async function runPublint(tarballPath: string): Promise<string[]> {
  const tarball = await readFile(tarballPath);
  const { messages, pkg } = await publint({
    pack: { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) as ArrayBuffer },
    level: 'warning',
  });
  return messages.map((message) => `${message.type}: ${formatMessage(message, pkg) ?? message.code}`);
}

async function runAttw(tarball: string): Promise<{ problems: unknown[]; exitCode: number }> {
  const result = await run(bin('attw'), [tarball, '--profile', 'node16', '--format', 'json'], {
    maxBuffer: 16 * 1024 * 1024,
  }).then(
    ({ stdout }) => ({ stdout, exitCode: 0 }),
    (error: { stdout?: string; code?: number }) => ({ stdout: error.stdout ?? '{}', exitCode: error.code ?? 1 }),
  );
  const report = JSON.parse(result.stdout) as { analysis?: { problems?: { resolutionKind?: string }[] } };
  // The node16 profile skips `node10` resolution (no `exports` support); anything else is a real problem.
  const problems = (report.analysis?.problems ?? []).filter((problem) => problem.resolutionKind !== 'node10');
  return { problems, exitCode: result.exitCode };
}

let workDir = '';
const packed = new Map<string, Packed>();

async function listTarball(tarball: string): Promise<{ files: string[]; unpackedBytes: number }> {
  const { stdout } = await run('tar', ['-tvzf', tarball], { maxBuffer: 16 * 1024 * 1024 });
  const files: string[] = [];
  let unpackedBytes = 0;
  for (const line of stdout.trim().split('\n')) {
    // -rw-r--r-- 0/0   1234 1985-10-26 08:15 package/dist/index.js
    const parts = line.trim().split(/\s+/);
    const path = parts.at(-1) ?? '';
    unpackedBytes += Number(parts[2] ?? 0);
    files.push(path.replace(/^package\//, ''));
  }
  return { files: files.sort(), unpackedBytes };
}

/** Runs `fn` over `items` with at most `limit` in flight (the CI box has two cores). */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'omnidealer-packaging-'));
  await run('pnpm', ['-r', '--filter', './packages/*', 'build'], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 });
  const tarballs = join(workDir, 'tarballs');
  await mkdir(tarballs);
  await mapLimit(packages, 3, async (entry) => {
    const { stdout } = await run('pnpm', ['pack', '--pack-destination', tarballs], {
      cwd: join(repoRoot, 'packages', entry.dir),
    });
    const tarball = stdout.trim().split('\n').at(-1) ?? '';
    const [{ files, unpackedBytes }, publintMessages, attw] = await Promise.all([
      listTarball(tarball),
      runPublint(tarball),
      runAttw(tarball),
    ]);
    packed.set(entry.dir, {
      dir: entry.dir,
      tarball,
      packedBytes: (await stat(tarball)).size,
      unpackedBytes,
      files,
      publint: publintMessages,
      attw,
    });
  });
  const rows = packages.map((entry) => {
    const row = packed.get(entry.dir);
    return {
      package: entry.name,
      'packed kB': row ? +(row.packedBytes / 1024).toFixed(1) : NaN,
      'unpacked kB': row ? +(row.unpackedBytes / 1024).toFixed(1) : NaN,
      'budget kB': entry.budgetKb,
      files: row?.files.length ?? 0,
    };
  });
  console.table(rows);
}, 600_000);

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe.each(packages)('$name tarball', (entry) => {
  const get = () => {
    const row = packed.get(entry.dir);
    if (!row) throw new Error(`${entry.name} was not packed`);
    return row;
  };

  it('ships only dist/, README.md, CHANGELOG.md, LICENSE and package.json', async () => {
    const { files } = get();
    const extra = files.filter(
      (file) =>
        !(
          /^dist\/[^/]+\.(js|cjs|d\.ts|d\.cts|js\.map|cjs\.map)$/.test(file) ||
          /^(README\.md|CHANGELOG\.md|package\.json|LICENSE)$/.test(file)
        ),
    );
    expect(extra).toEqual([]);
    expect(files).toEqual(
      expect.arrayContaining(['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'dist/index.js', 'dist/index.cjs']),
    );
    // The licence the root README promises, word for word.
    const { stdout: license } = await run('tar', ['-xzOf', get().tarball, 'package/LICENSE']);
    expect(license).toBe(await readFile(join(repoRoot, 'LICENSE'), 'utf8'));
    expect(files.filter((file) => /\.test\.|__fixtures__|\.tsbuildinfo$/.test(file))).toEqual([]);
  });

  it(`stays under ${entry.budgetKb} kB packed`, () => {
    expect(get().packedBytes / 1024).toBeLessThan(entry.budgetKb);
  });

  it('has a manifest without workspace-only parts', async () => {
    const { stdout } = await run('tar', ['-xzOf', get().tarball, 'package/package.json']);
    const manifest = JSON.parse(stdout) as { name: string; exports: unknown; dependencies?: Record<string, string> };
    expect(manifest).toMatchObject({
      name: entry.name,
      license: 'MIT',
      repository: { url: 'git+https://github.com/omnidealer/omnidealer.git', directory: `packages/${entry.dir}` },
      exports: { '.': expect.any(Object) },
    });
    // publishConfig.exports replaced the workspace map: no condition pointing at src/ (not shipped) reaches users.
    expect(JSON.stringify(manifest.exports)).not.toMatch(/omnidealer-source|\/src\//);
    expect(Object.values(manifest.dependencies ?? {}).filter((range) => range.startsWith('workspace:'))).toEqual([]);
  });

  it('passes publint (no errors, no warnings)', () => {
    expect(get().publint).toEqual([]);
  });

  it('passes are-the-types-wrong (node16 ESM and CJS, bundler)', () => {
    expect(get().attw).toEqual({ problems: [], exitCode: 0 });
  });
});

const exportNames = packages.map((entry) => entry.exportName);
const expectedOutput = (names: readonly string[]) => names.map((name) => `${name}: function`).join('\n');

async function installConsumer(name: string, type: 'module' | 'commonjs', extra: string[], ignoreScripts: boolean) {
  const dir = join(workDir, name);
  await mkdir(dir);
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name, private: true, type }, null, 2)}\n`);
  const tarballs = packages.map((entry) => packed.get(entry.dir)?.tarball ?? '');
  await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...(ignoreScripts ? ['--ignore-scripts'] : []),
      ...tarballs,
      ...extra,
    ],
    { cwd: dir, maxBuffer: 64 * 1024 * 1024 },
  );
  return dir;
}

describe.runIf(withConsumers)('consumers of the packed tarballs', () => {
  it('an ESM project imports every package and type-checks with nodenext', async () => {
    // --ignore-scripts: better-sqlite3 loads its native addon only when a database opens, so importing
    // @omnidealer/store-sqlite works without its native build (from source here: ~2.5 min, too slow for CI).
    // store-sqlite's .d.ts imports 'better-sqlite3' types: @types/better-sqlite3 is one of its dependencies.
    const dir = await installConsumer('consumer-esm', 'module', ['@types/node@20'], true);
    const imports = packages.map((entry) => `import { ${entry.exportName} } from '${entry.name}';`).join('\n');
    await writeFile(
      join(dir, 'index.js'),
      `${imports}\n${exportNames.map((name) => `console.log('${name}: ' + typeof ${name});`).join('\n')}\n`,
    );
    const { stdout } = await run('node', ['index.js'], { cwd: dir });
    expect(stdout.trim()).toBe(expectedOutput(exportNames));

    await writeFile(
      join(dir, 'typed.ts'),
      `${imports}\nimport type { OmnidealerError } from '@omnidealer/core';\n` +
        `export const factories: ReadonlyArray<(...args: never[]) => unknown> = [${exportNames.join(', ')}];\n` +
        `export type AnyError = OmnidealerError;\n`,
    );
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
        },
        files: ['typed.ts'],
      }),
    );
    const typecheck = await run(bin('tsc'), ['-p', 'tsconfig.json'], { cwd: dir }).catch((error: { stdout?: string }) => ({
      stdout: error.stdout ?? 'tsc failed',
    }));
    expect(typecheck.stdout.trim()).toBe('');
  }, 300_000);

  it('a CommonJS project requires every package', async () => {
    // --ignore-scripts, as in the ESM consumer: no native build of better-sqlite3.
    const dir = await installConsumer('consumer-cjs', 'commonjs', [], true);
    const requires = packages.map((entry) => `const { ${entry.exportName} } = require('${entry.name}');`).join('\n');
    await writeFile(
      join(dir, 'index.js'),
      `${requires}\n${exportNames.map((name) => `console.log('${name}: ' + typeof ${name});`).join('\n')}\n`,
    );
    const { stdout } = await run('node', ['index.js'], { cwd: dir });
    expect(stdout.trim()).toBe(expectedOutput(exportNames));
    const files = await readdir(join(dir, 'node_modules', '@omnidealer'));
    expect(files.sort()).toEqual(packages.map((entry) => entry.dir).sort());
  }, 300_000);
});
