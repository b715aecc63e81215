/**
 * Temporary files and folders that must not outlive the process: removed at a normal exit, and on
 * SIGINT / SIGTERM / SIGHUP, after which the process exits 128 + the signal number (130, 143,
 * 129), as a shell reports a process killed by it (unless the application listens to that signal
 * itself: then it decides). Paths are removed synchronously and best-effort.
 */
import * as fs from 'fs';

const paths = new Set<string>();
let installed = false;

const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

function removeAll(): void {
  for (const p of paths) {
    try {
      fs.rmSync(p, { recursive: true, force: true });
    } catch {
      // best effort: the next run's stale sweep removes what is left
    }
  }
  paths.clear();
}

/**
 * Installs the exit and signal handlers (idempotent). registerTempPath calls it; a command-line
 * entry point may call it at start-up so that an interrupt always exits 130/143, temporary paths
 * or not.
 */
export function installCleanupHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', removeAll);
  for (const [signal, code] of Object.entries(SIGNAL_EXIT) as [NodeJS.Signals, number][]) {
    process.on(signal, () => {
      removeAll();
      // With another listener (an embedding application's), that listener owns the exit: Node
      // does not end the process by itself once any listener exists. Otherwise exit as the signal would.
      if (process.listenerCount(signal) <= 1) process.exit(code);
    });
  }
}

/** Registers a file or folder for removal at exit or on a signal; the returned function unregisters it
 *  (call it once the path is renamed into place or removed by its owner). */
export function registerTempPath(p: string): () => void {
  installCleanupHandlers();
  paths.add(p);
  return () => {
    paths.delete(p);
  };
}

/** Whether process `pid` exists on this machine (EPERM: it exists, owned by another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the entries of `dir` whose name matches `pattern` (its first group the owner pid) and
 * whose owner is no longer running: what a killed run (SIGKILL, power loss) left behind.
 * Returns the removed names; a missing or unreadable dir is skipped.
 */
export function sweepStale(dir: string, pattern: RegExp): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    try {
      fs.rmSync(`${dir}/${name}`, { recursive: true, force: true });
      removed.push(name);
    } catch {
      // not ours to remove (permissions): leave it
    }
  }
  return removed;
}
