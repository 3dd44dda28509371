import { fileURLToPath } from 'node:url';
import { helpText, parseDemoOptions } from './demo-options.js';
import { DemoUsageError, runDemo } from './run-demo.js';

const defaultOutDir = fileURLToPath(new URL('../report', import.meta.url));

/** Runs `pnpm demo` with command-line arguments; resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let options: ReturnType<typeof parseDemoOptions>;
  try {
    options = parseDemoOptions(argv, defaultOutDir);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${helpText}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${helpText}\n`);
    return 0;
  }
  try {
    const result = await runDemo(options, { progress: process.stderr, log: (text) => process.stdout.write(`${text}\n`) });
    process.stdout.write(`done in ${(result.wallMs / 1000).toFixed(1)} s\n`);
    return 0;
  } catch (error) {
    if (error instanceof DemoUsageError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}
