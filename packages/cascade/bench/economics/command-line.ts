// The benchmark's command-line arguments (`--seed N`, `--contacts=N`, …).

/** A numeric `--name=value` argument, or undefined when absent. */
export function argument(name: string): number | undefined {
  const raw = process.argv.find((value) => value.startsWith(`--${name}=`));
  return raw ? Number(raw.split('=')[1]) : undefined;
}

/** `--seed N` or `--seed=N` on the command line (also through `pnpm bench cascade --seed N`). */
export function seedArgument(argv: readonly string[] = process.argv): number | undefined {
  const at = argv.indexOf('--seed');
  const raw = at >= 0 ? argv[at + 1] : argv.find((value) => value.startsWith('--seed='))?.split('=')[1];
  const seed = raw === undefined ? undefined : Number(raw);
  return seed !== undefined && Number.isInteger(seed) ? seed : undefined;
}
