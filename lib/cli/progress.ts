import { SingleBar } from 'cli-progress';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/** A progress bar on stderr, shown only when stderr is a terminal and --quiet is off. */
export function progressBar(label: string, unit: string, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new SingleBar({
    stream: process.stderr,
    format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {speed} ${unit}/s | ETA {eta_formatted}`,
    hideCursor: true,
    clearOnComplete: true,
  });
  let started = false;
  const t0 = Date.now();
  return {
    update(done, total) {
      const speed = Math.round(done / Math.max(1e-3, (Date.now() - t0) / 1000));
      if (!started) {
        bar.start(total, done, { speed });
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, { speed });
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
