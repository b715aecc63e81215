import { Command, CommanderError } from 'commander';
import { GenmetricsError } from '../errors';
import { registerAll } from './all';
import { registerCluster } from './cluster';
import { registerDisentanglement } from './disentanglement';
import { registerDiversity } from './diversity';
import { registerFeatures } from './features';
import { registerFid } from './fid';
import { registerIs } from './is';
import { registerKid } from './kid';
import { registerLpips } from './lpips';
import { registerParams } from './params';
import { registerPrdc } from './prdc';
import { registerProbe } from './probe';
import { registerStats } from './stats';
import { registerEncode, registerVae } from './vae';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('genmetrics')
    .description('Evaluation metrics for generative models')
    .version(version)
    .showHelpAfterError()
    .enablePositionalOptions()
    .exitOverride();
  registerFid(program);
  registerStats(program);
  registerIs(program);
  registerKid(program);
  registerPrdc(program);
  registerAll(program);
  registerLpips(program);
  registerDiversity(program);
  registerCluster(program);
  registerVae(program);
  registerEncode(program);
  registerParams(program);
  registerDisentanglement(program);
  registerProbe(program);
  registerFeatures(program);
  for (const cmd of program.commands) {
    cmd.exitOverride();
    for (const sub of cmd.commands) sub.exitOverride();
  }
  return program;
}

/** Runs the CLI; resolves to the exit code (0 ok, 1 bad input or failure, 2 usage). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0 ? 0 : 2;
    }
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`genmetrics: error: ${msg}\n`);
    if (!(err instanceof GenmetricsError) && process.env.GENMETRICS_DEBUG && err instanceof Error) {
      process.stderr.write(`${err.stack}\n`);
    }
    return 1;
  }
}
