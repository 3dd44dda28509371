/** Where progress goes: a TTY redraws one line, anything else gets a line per 10 %. */
export interface ProgressTarget {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
}

/** A plain-text progress bar on stderr, no dependency. */
export interface ProgressBar {
  update(done: number, total: number, label?: string): void;
  finish(label?: string): void;
}

/** A bar that writes nothing (tests, `--quiet`). */
export const silentProgress: ProgressBar = { update() {}, finish() {} };

/**
 * Creates a progress bar for one phase (`sending`, `24 h of statuses`).
 * @example
 * const bar = createProgressBar('sending', process.stderr);
 * bar.update(120, 3000);
 */
export function createProgressBar(title: string, target: ProgressTarget, width = 30): ProgressBar {
  let lastDecile = -1;
  let lastDraw = 0;
  let lastLine = '';
  const line = (done: number, total: number, label: string) => {
    const ratio = total === 0 ? 1 : Math.min(1, done / total);
    const filled = Math.round(ratio * width);
    return `${title.padEnd(18)} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)} % ${label}`;
  };
  return {
    update(done, total, label = `${done}/${total}`) {
      if (target.isTTY) {
        const now = Date.now();
        if (now - lastDraw < 50 && done < total) return;
        lastDraw = now;
        lastLine = line(done, total, label);
        target.write(`\r${lastLine}\u001b[K`);
        return;
      }
      const decile = total === 0 ? 10 : Math.floor((done / total) * 10);
      if (decile === lastDecile) return;
      lastDecile = decile;
      target.write(`${line(done, total, label)}\n`);
    },
    finish(label) {
      if (target.isTTY) target.write(`\r${label ? line(1, 1, label) : lastLine}\u001b[K\n`);
      else if (label) target.write(`${line(1, 1, label)}\n`);
    },
  };
}
