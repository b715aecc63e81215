/**
 * What a command is, once: its inputs, its options (each with its one default), the work, and the
 * result it resolves to. The CLI, the Node API and the service all drive these descriptors.
 */
import { GenmetricsError, OptionError, UsageError } from '../errors';

export { OptionError };

export type OptionType = 'string' | 'integer' | 'number' | 'boolean' | 'list';

export interface OptionSpec {
  /** camelCase key: the API's option name; the CLI flag is its kebab-case (`subsetSize` -> `--subset-size`). */
  key: string;
  type: OptionType;
  help: string;
  /** The default, written here and nowhere else (undefined: absent unless given). */
  default?: string | number | boolean;
  /** Shown instead of a default that depends on the input or the device (e.g. "1/D"). */
  defaultNote?: string;
  choices?: readonly string[];
  /** Other spellings accepted for a choice (`le` for `<=`). */
  aliases?: Readonly<Record<string, string>>;
  min?: number;
  /** Numbers must be > min instead of >= min. */
  exclusiveMin?: boolean;
  max?: number;
  /** Numbers must be < max instead of <= max. */
  exclusiveMax?: boolean;
  required?: boolean;
  /** One-letter CLI alias (`o` gives `-o`). */
  short?: string;
  /** Placeholder of the value in the CLI help (`<file>`). */
  valueName?: string;
  /** A file the command writes: checked before the work, never an input. */
  output?: boolean;
  /** What a bad value is told it should be, where the generic wording reads badly. */
  expect?: string;
  /** list: the number of values expected. */
  arity?: number;
}

export interface InputSpec {
  name: string;
  help: string;
  optional?: boolean;
  variadic?: boolean;
  /** Option generator stands for this input when given (the input is then left out). */
  generator?: boolean;
}

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/** Where a command reports while it works: warnings, notices and progress. */
export interface Reporter {
  warn(message: string): void;
  notice(message: string): void;
  progress(label: string, unit: string): Progress;
}

export type Options = Record<string, unknown>;

export interface CommandDescriptor<O = Options, R = Record<string, unknown>> {
  /** The CLI command (`stats merge` for a subcommand). */
  name: string;
  /** Other names it answers to (the CLI, the API and the service's metric lists). */
  aliases?: readonly string[];
  summary: string;
  /** One example invocation after `genmetrics `, shown in --help. */
  example: string;
  inputs: InputSpec[];
  options: OptionSpec[];
  /** Checks that need several options at once; runs before any work. */
  check?(inputs: string[], options: O): void;
  run(inputs: string[], options: O, reporter: Reporter): Promise<R>;
}

export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function show(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : Array.isArray(v) ? `[${v.map(show).join(', ')}]` : String(v);
}

function coerceNumber(spec: OptionSpec, v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  const noun = spec.type === 'integer' ? 'integer' : 'number';
  // "an integer >= 16", "a positive number" (> 0), "a number"
  const article = spec.type === 'integer' ? 'an' : 'a';
  const lower =
    spec.expect ??
    (spec.min === undefined
      ? `${article} ${noun}`
      : spec.min === 0 && spec.exclusiveMin
        ? `a positive ${noun}`
        : `${article} ${noun} ${spec.exclusiveMin ? '>' : '>='} ${spec.min}`);
  if (!Number.isFinite(n) || (spec.type === 'integer' && !Number.isInteger(n))) throw new OptionError(spec.key, `expected ${lower}, got ${show(v)}`);
  if (spec.min !== undefined && (spec.exclusiveMin ? n <= spec.min : n < spec.min)) throw new OptionError(spec.key, `expected ${lower}, got ${show(v)}`);
  if (spec.max !== undefined && (spec.exclusiveMax ? n >= spec.max : n > spec.max)) {
    throw new OptionError(spec.key, `expected ${spec.exclusiveMax ? 'less than' : 'at most'} ${spec.max}, got ${show(v)}`);
  }
  return n;
}

/** One option value, from the CLI (a string) or the API (a string or the typed value). */
export function coerceOption(spec: OptionSpec, v: unknown): unknown {
  switch (spec.type) {
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      throw new OptionError(spec.key, `expected true or false, got ${show(v)}`);
    case 'integer':
    case 'number':
      return coerceNumber(spec, v);
    case 'list': {
      const list = Array.isArray(v) ? v : typeof v === 'string' ? [v] : undefined;
      if (!list || !list.every((x) => typeof x === 'string')) throw new OptionError(spec.key, `expected a list of strings, got ${show(v)}`);
      if (spec.arity !== undefined && list.length !== spec.arity) {
        const count = ['no', 'one', 'two', 'three'][spec.arity] ?? String(spec.arity);
        throw new OptionError(spec.key, `expected ${count} files, ${spec.help}; got ${list.length}`);
      }
      return list;
    }
    case 'string': {
      if (typeof v !== 'string' && typeof v !== 'number') throw new OptionError(spec.key, `expected a string, got ${show(v)}`);
      const s = String(v);
      if (spec.choices) {
        const c = spec.aliases?.[s] ?? s;
        if (!spec.choices.includes(c)) {
          const alias = spec.aliases ? ` (or ${Object.entries(spec.aliases).map(([a, b]) => `${a} for ${b}`).join(', ')})` : '';
          const list = spec.choices.length === 2 ? spec.choices.join(' or ') : `one of ${spec.choices.join(', ')}`;
          throw new OptionError(spec.key, `expected ${spec.expect ?? `${list}${alias}`}, got ${show(v)}`);
        }
        return c;
      }
      if (s === '') throw new OptionError(spec.key, 'expected a non-empty value');
      return s;
    }
  }
}

/**
 * The options of a run: every given value checked and converted, every other option at its
 * default. Unknown keys are refused (a misspelt option must not be silently ignored).
 */
export function resolveOptions<O>(d: CommandDescriptor<O, unknown>, given: Options): O {
  const specs = new Map(d.options.map((s) => [s.key, s]));
  for (const k of Object.keys(given)) {
    if (given[k] !== undefined && !specs.has(k)) {
      throw new GenmetricsError(`${d.name}: unknown option '${k}'; its options are ${[...specs.keys()].join(', ')}`);
    }
  }
  const out: Options = {};
  for (const spec of d.options) {
    const v = given[spec.key];
    if (v === undefined) {
      if (spec.required) throw new OptionError(spec.key, 'required');
      if (spec.default !== undefined) out[spec.key] = spec.default;
    } else {
      out[spec.key] = coerceOption(spec, v);
    }
  }
  return out as O;
}

/** Checks the inputs' count against the descriptor (one fewer when option generator stands for one). */
export function checkInputs(d: CommandDescriptor<never, unknown>, inputs: string[], given: Options = {}): void {
  const replaced = given.generator !== undefined && d.inputs.some((i) => i.generator) ? 1 : 0;
  const required = d.inputs.filter((i) => !i.optional && !i.variadic).length - replaced;
  const variadic = d.inputs.some((i) => i.variadic);
  const most = variadic ? Infinity : d.inputs.length - replaced;
  const least = required + (d.inputs.some((i) => i.variadic && !i.optional) ? 1 : 0);
  if (!Array.isArray(inputs) || inputs.some((i) => typeof i !== 'string' || i === '')) {
    throw new GenmetricsError(`${d.name}: inputs must be a list of paths`);
  }
  if (inputs.length < least || inputs.length > most) {
    const names = d.inputs
      .filter((i) => !(replaced && i.generator))
      .map((i) => (i.variadic ? `${i.name}...` : i.optional ? `[${i.name}]` : i.name))
      .join(' ');
    const note = replaced ? ' (option generator stands for the first)' : '';
    throw new UsageError(`${d.name}: expected inputs ${names}${note}, got ${inputs.length}`);
  }
}

export function defineCommand<O, R>(d: CommandDescriptor<O, R>): CommandDescriptor<O, R> {
  return d;
}
