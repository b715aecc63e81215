import { SingleBar } from 'cli-progress';
import type { Progress } from '../commands/descriptor';

/** Plain progress lines when stderr is not a terminal: at most one per interval, and the last. */
const LINE_INTERVAL_MS = 5000;

/**
 * Progress on stderr: a bar on a terminal, otherwise plain rate-limited lines (logs, CI, nohup);
 * nothing when disabled (--quiet).
 */
export function progressBar(label: string, unit: string, enabled: boolean): Progress {
  if (!enabled) return { update() {}, stop() {} };
  const t0 = Date.now();
  const rate = (done: number) => Math.round(done / Math.max(1e-3, (Date.now() - t0) / 1000));
  if (!process.stderr.isTTY) {
    let last = 0;
    let pending: [number, number] | undefined;
    const line = (done: number, total: number) => {
      process.stderr.write(`genmetrics: ${label}: ${done}/${total} ${unit} (${total ? Math.floor((100 * done) / total) : 100}%, ${rate(done)} ${unit}/s)\n`);
      last = Date.now();
      pending = undefined;
    };
    return {
      update(done, total) {
        if (done >= total || Date.now() - last >= LINE_INTERVAL_MS) line(done, total);
        else pending = [done, total];
      },
      stop() {
        if (pending) line(...pending);
      },
    };
  }
  const bar = new SingleBar({
    stream: process.stderr,
    format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {speed} ${unit}/s | ETA {eta_formatted}`,
    hideCursor: true,
    clearOnComplete: true,
  });
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, done, { speed: rate(done) });
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, { speed: rate(done) });
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
