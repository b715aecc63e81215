import type { Command } from 'commander';

/** --json, --quiet and --threads on every command. */
export function withCommonOptions(cmd: Command): Command {
  return cmd
    .option('--json', 'print one JSON object on stdout')
    .option('-q, --quiet', 'no progress bar or notices on stderr (warnings still appear)')
    .option('--threads <n>', 'worker threads for the native core (default: all cores)');
}
