/** Every command, in the order of the CLI's help, and the one way to run one. */
import { GenmetricsError } from '../errors';
import { allCommand } from './all';
import { clusterCommand } from './cluster';
import { checkOutputs } from '../io/outputs';
import { checkInputs, resolveOptions, type CommandDescriptor, type OptionSpec, type Options, type Reporter } from './descriptor';
import { disentanglementCommand } from './disentanglement';
import { diversityCommand } from './diversity';
import { featuresCommand } from './features';
import { fidCommand } from './fid';
import { generateCommand } from './generate';
import { gridCommand } from './grid';
import { interpolateCommand } from './interpolate';
import { traverseCommand } from './traverse';
import { truncationCommand } from './truncation';
import { memorizationCommand } from './memorization';
import { reportCommand } from './report';
import { vendiCommand } from './vendi';
import { mifidCommand } from './mifid';
import { authenticityCommand } from './authenticity';
import { oneNnCommand } from './one-nn';
import { fdInfinityCommand } from './fd-infinity';
import { cmmdCommand } from './cmmd';
import { ndbCommand } from './ndb';
import { prdCurveCommand } from './prd-curve';
import { realismCommand } from './realism';
import { parzenCommand } from './parzen';
import { ctCommand } from './ct';
import { birthdayCommand } from './birthday';
import { isCommand } from './is';
import { kidCommand } from './kid';
import { lpipsCommand } from './lpips';
import { msSsimCommand, psnrCommand, ssimCommand } from './ssim';
import { hypeCommand } from './hype';
import { modelsInstallCommand, modelsListCommand } from './models';
import { paramsCommand } from './params';
import { pplCommand } from './ppl';
import { prdcCommand } from './prdc';
import { probeCommand } from './probe';
import { mergeCommand, statsCommand } from './stats';
import { encodeCommand, vaeCommand } from './vae';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = CommandDescriptor<any, any>;

export const commands: readonly AnyCommand[] = [
  fidCommand,
  statsCommand,
  mergeCommand,
  isCommand,
  kidCommand,
  prdcCommand,
  allCommand,
  pplCommand,
  truncationCommand,
  memorizationCommand,
  reportCommand,
  vendiCommand,
  mifidCommand,
  authenticityCommand,
  oneNnCommand,
  fdInfinityCommand,
  cmmdCommand,
  ndbCommand,
  prdCurveCommand,
  realismCommand,
  parzenCommand,
  ctCommand,
  birthdayCommand,
  lpipsCommand,
  ssimCommand,
  msSsimCommand,
  psnrCommand,
  hypeCommand,
  diversityCommand,
  clusterCommand,
  vaeCommand,
  encodeCommand,
  paramsCommand,
  disentanglementCommand,
  probeCommand,
  featuresCommand,
  generateCommand,
  gridCommand,
  interpolateCommand,
  traverseCommand,
  modelsListCommand,
  modelsInstallCommand,
];

export function findCommand(name: string): AnyCommand {
  const d = commands.find((c) => c.name === name || c.aliases?.includes(name));
  if (!d) throw new GenmetricsError(`unknown command '${name}'; the commands are ${commands.map((c) => c.name).join(', ')}`);
  return d;
}

/** A reporter that drops progress and notices and passes warnings to process.emitWarning. */
export const quietReporter: Reporter = {
  warn: (m) => process.emitWarning(m, 'GenmetricsWarning'),
  notice: () => undefined,
  progress: () => ({ update: () => undefined, stop: () => undefined }),
};

/**
 * Runs a command: checks the inputs and every option (given ones converted, the rest at their
 * defaults) before any work, then the command itself. Resolves to the command's result object,
 * which the CLI prints with --json.
 */
export async function runCommand<R>(d: CommandDescriptor<unknown, R>, inputs: string[], given: Options = {}, reporter: Reporter = quietReporter): Promise<R> {
  checkInputs(d as CommandDescriptor<never, unknown>, inputs, given);
  const options = resolveOptions(d, given) as Options;
  d.check?.(inputs, options);
  // Outputs are checked before any work: writable, and none of them an input (or another output).
  const value = (s: OptionSpec) => options[s.key] as string | string[] | undefined;
  const outputs = d.options.filter((s) => s.output && value(s) !== undefined).map((s) => ({ key: s.key, path: value(s) as string }));
  if (outputs.length) {
    const named = d.options.filter((s) => !s.output && (s.type === 'string' || s.type === 'list')).flatMap((s) => value(s) ?? []);
    checkOutputs(outputs, [...inputs, ...named]);
  }
  return d.run(inputs, options, reporter);
}
