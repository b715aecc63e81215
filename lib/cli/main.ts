/**
 * The command line: one commander command per descriptor (flags are the kebab-case of the option
 * keys), a reporter on stderr, the result on stdout (human lines, or the result object with --json).
 */
import { Command, CommanderError, Option } from 'commander';
import { kebab, type OptionSpec, type Reporter } from '../commands/descriptor';
import { commands, runCommand, type AnyCommand } from '../commands/registry';
import { GenmetricsError, OptionError, UsageError } from '../errors';
import { installCleanupHandlers } from '../process-cleanup';
import { humanLines } from './format';
import { progressBar } from './progress';
import { addServiceCommands } from './service';
import { versionLines } from './version';
import { VERSION } from '../version';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const version = VERSION;

function flagOf(spec: OptionSpec): string {
  const long = spec.type === 'boolean' && spec.default === true ? `--no-${kebab(spec.key)}` : `--${kebab(spec.key)}`;
  const value = spec.type === 'boolean' ? '' : ` ${spec.valueName ?? '<value>'}`;
  return `${spec.short ? `-${spec.short}, ` : ''}${long}${value}`;
}

/** The flag of one of the command's option keys (`subsetSize` -> `--subset-size`), or undefined. */
function flagFor(d: AnyCommand, key: string): string | undefined {
  return d.options.some((s) => s.key === key) ? `--${kebab(key)}` : undefined;
}

/** Text with `option <key>` written as the flag (`--key`), for help and messages. */
function withFlags(d: AnyCommand, text: string): string {
  return text.replace(/\boption ([A-Za-z][A-Za-z0-9]*)\b/g, (all, key: string) => flagFor(d, key) ?? all);
}

function helpOf(d: AnyCommand, spec: OptionSpec): string {
  const parts = [withFlags(d, spec.help)];
  if (spec.choices && !spec.choices.every((c) => spec.help.includes(c))) parts.push(`(${spec.choices.join(', ')})`);
  if (spec.defaultNote) parts.push(`(default: ${spec.defaultNote})`);
  else if (spec.default !== undefined && spec.type !== 'boolean') parts.push(`(default: ${spec.default})`);
  return parts.join(' ');
}

/** The options commander parsed, under the descriptor's keys (flags never given stay absent). */
function givenOptions(d: AnyCommand, parsed: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of d.options) if (parsed[spec.key] !== undefined) out[spec.key] = parsed[spec.key];
  return out;
}

/** A library message with option keys replaced by this command's flags. */
export function cliMessage(d: AnyCommand | undefined, err: unknown): string {
  let msg = err instanceof Error ? err.message : String(err);
  if (!d) return msg;
  const flag = err instanceof OptionError ? flagFor(d, err.key) : undefined;
  if (flag && msg.startsWith((err as OptionError).key)) msg = flag + msg.slice((err as OptionError).key.length);
  return withFlags(d, msg);
}

function reporterFor(d: AnyCommand, quiet: boolean): Reporter {
  return {
    warn: (m) => process.stderr.write(`genmetrics: warning: ${cliMessage(d, m)}\n`),
    notice: (m) => {
      if (!quiet) process.stderr.write(`genmetrics: ${cliMessage(d, m)}\n`);
    },
    progress: (label, unit) => progressBar(label, unit, !quiet),
  };
}

function addCommand(parent: Command, name: string, d: AnyCommand, failed: { command?: AnyCommand }): Command {
  const cmd = parent.command(name).description(withFlags(d, d.summary));
  if (d.aliases) cmd.aliases([...d.aliases]);
  // With an input that option generator can stand for, the last required one is optional here
  // (the command checks the count, knowing whether the option was given).
  const replaceable = d.inputs.some((i) => i.generator);
  const lastRequired = d.inputs.map((i) => !i.optional && !i.variadic).lastIndexOf(true);
  d.inputs.forEach((input, k) => {
    const n = input.variadic ? `${input.name}...` : input.name;
    cmd.argument(input.optional || (replaceable && k === lastRequired) ? `[${n}]` : `<${n}>`, input.help);
  });
  for (const spec of d.options) cmd.addOption(new Option(flagOf(spec), helpOf(d, spec)));
  cmd
    .option('--json', 'print the result as one JSON object on stdout')
    .option('-q, --quiet', 'no progress or notices on stderr (warnings still appear)')
    .addHelpText('after', `\nExample:\n  genmetrics ${d.example}\n`)
    .action(async (...args: unknown[]) => {
      const parsed = args[args.length - 2] as Record<string, unknown>;
      const inputs = args.slice(0, d.inputs.length).flatMap((a) => (a === undefined ? [] : Array.isArray(a) ? a : [a])) as string[];
      failed.command = d;
      const result = await runCommand(d, inputs, givenOptions(d, parsed), reporterFor(d, Boolean(parsed.quiet)));
      process.stdout.write(parsed.json ? `${JSON.stringify(result)}\n` : `${humanLines(d.name, result).join('\n')}\n`);
    });
  return cmd;
}

export function buildProgram(failed: { command?: AnyCommand } = {}): Command {
  const program = new Command('genmetrics')
    .description('Evaluation metrics for generative models')
    .version(version)
    .showHelpAfterError()
    .enablePositionalOptions();
  const made = new Map<string, Command>();
  for (const d of commands) {
    const [head, sub] = d.name.split(' ');
    if (sub && !made.has(head)) made.set(head, program.command(head).description(`${head} commands`));
    if (sub) addCommand(made.get(head)!, sub, d, failed);
    else made.set(head, addCommand(program, head, d, failed).enablePositionalOptions());
  }
  addServiceCommands(program);
  const exitOverride = (c: Command) => {
    c.exitOverride();
    c.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

/** Runs the CLI; resolves to the exit code (0 ok, 1 bad input or failure, 2 usage). */
export async function main(argv: string[]): Promise<number> {
  // An interrupt removes this run's temporary files and exits 130 (SIGINT) or 143 (SIGTERM).
  installCleanupHandlers();
  // A reader that stops early (`genmetrics … | head`) ends the output, not with a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
  const flags = argv.slice(2);
  if ((flags.includes('--version') || flags.includes('-V')) && flags.includes('--verbose')) {
    process.stdout.write(`${versionLines(version).join('\n')}\n`);
    return 0;
  }
  const failed: { command?: AnyCommand } = {};
  const program = buildProgram(failed);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`genmetrics: error: ${cliMessage(failed.command, err)}\n`);
    if (!(err instanceof GenmetricsError) && process.env.GENMETRICS_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}
