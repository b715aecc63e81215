/**
 * Evaluations: a request names two datasets, metrics and the CLI's options; it becomes one run of
 * a command descriptor (`fid`, `kid`, `prdc`, or `all` for several metrics) through the same
 * runCommand() as the CLI, so its result is the CLI's --json object (inputs named by dataset id
 * instead of a path). The queue is the evaluations table; jobs run `concurrency` at a time.
 */
import { createHash, randomBytes } from 'crypto';
import { EventEmitter } from 'events';
import { generatorOptionSpecs } from '../commands/generator-options';
import { resolveOptions, type OptionSpec, type Options, type Progress, type Reporter } from '../commands/descriptor';
import { kidOptions } from '../commands/feature-sets';
import { findCommand, runCommand, type AnyCommand } from '../commands/registry';
import { ALL_METRICS } from '../commands/all';
import { kidPlan } from '../metrics/kid';
import type { BlobStore } from './blobs';
import { fromLibrary, HttpError } from './http-error';
import type { ResizeMode } from '../images/preprocess';
import { extractFeatureFiles, POOL3_DIMS } from '../network/inception';
import type { DatasetRow, EvaluationRow, Store } from './store';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../package.json') as { version: string };

/** What a request may ask for: the four of `all`, `all` itself, and every measure `all --metrics` runs. */
export const METRICS: readonly string[] = ['fid', 'kid', 'prdc', 'is', 'all', ...ALL_METRICS.filter((m) => !['fid', 'kid', 'prdc', 'is'].includes(m))];

/** Options the server decides (threads, devices, files on the server), never the caller. */
const SERVER_KEYS = new Set(['threads', 'device', 'batchSize', 'cache', 'skipBad', 'model', 'mode', 'maxPixels', 'extractor']);
/** The generator options: a generator (and its mapping network) would be a file on the server, never named by a request. */
const GENERATOR_KEYS = new Set(generatorOptionSpecs.map((s) => s.key));
/** The generator options a request may give when its generated dataset is a generator (not the files). */
const FILE_KEYS = new Set(['generator', 'mapping']);

export interface EvaluationRequest {
  generated: string;
  /** Not for `is` alone (the Inception Score of one set). */
  reference?: string;
  metrics: string[];
  options?: Options;
  run?: string;
  step?: number;
}

/** The command a metric list runs: one metric's own command, or `all` for several. */
export function commandFor(metrics: string[]): AnyCommand {
  if (!Array.isArray(metrics) || metrics.length === 0) throw new HttpError(400, 'bad_metrics', `metrics: expected a non-empty list of ${METRICS.join(', ')}`, 'metrics');
  for (const m of metrics) {
    if (!(METRICS as readonly string[]).includes(m)) throw new HttpError(400, 'bad_metrics', `metrics: unknown metric '${m}'; expected ${METRICS.join(', ')}`, 'metrics');
  }
  const distinct = [...new Set(metrics)];
  return findCommand(distinct.length === 1 ? distinct[0] : 'all');
}

/** Several metrics run as `all` with option metrics naming them (unless `all` itself is asked for). */
export function withMetricsOption(d: AnyCommand, metrics: string[], options: Options): Options {
  if (d.name !== 'all' || metrics.includes('all')) return options;
  return { ...options, metrics: [...new Set(metrics)].join(',') };
}

/** Commands of one set (the Inception Score, Vendi) take no reference. */
export const oneSet = (d: AnyCommand): boolean => d.inputs.length === 1;

/** The request's options checked against the command's descriptor, as the CLI checks its flags. */
export function checkOptions(d: AnyCommand, given: Options | undefined, generator = false): Options {
  if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given))) {
    throw new HttpError(400, 'bad_options', 'options: expected an object of option values', 'options');
  }
  const specs = new Map<string, OptionSpec>(d.options.map((s) => [s.key, s]));
  for (const key of Object.keys(given ?? {})) {
    const spec = specs.get(key);
    if (SERVER_KEYS.has(key) || spec?.output) throw new HttpError(400, 'bad_option', `options.${key}: set by the server, not by a request`, `options.${key}`);
    if (FILE_KEYS.has(key) || (!generator && GENERATOR_KEYS.has(key))) {
      const why = FILE_KEYS.has(key) ? 'a request may not name a file on the server (upload the generator as a dataset of kind generator)' : 'it applies to a generated dataset of kind generator';
      throw new HttpError(400, 'bad_option', `options.${key}: a generator option; ${why}`, `options.${key}`);
    }
    if (!spec) {
      const allowed = d.options.filter((s) => !SERVER_KEYS.has(s.key) && !FILE_KEYS.has(s.key) && (generator || !GENERATOR_KEYS.has(s.key)) && !s.output).map((s) => s.key);
      throw new HttpError(400, 'bad_option', `options.${key}: unknown option of ${d.name}; its options are ${allowed.join(', ')}`, `options.${key}`);
    }
  }
  try {
    const resolved = resolveOptions(d, given ?? {}) as Options;
    // A generator dataset stands for option generator (its path is the server's, set when the job runs).
    d.check?.([], generator ? { ...resolved, generator: 'dataset' } : resolved);
    return resolved;
  } catch (err) {
    throw fromLibrary(err);
  }
}

/**
 * What the datasets must be for the command: statistics hold no samples, so only FID takes them;
 * KID's subsets must fit in both sets (the library's own plan check, before the job is queued).
 */
export function checkDatasets(d: AnyCommand, a: DatasetRow, b: DatasetRow | undefined, options: Options): void {
  for (const [role, ds] of [['generated', a], ['reference', b]] as const) {
    if (ds?.status === 'failed') throw new HttpError(422, 'dataset_failed', `${role}: dataset ${ds.id} failed: ${ds.error}`, role);
  }
  if (b?.kind === 'generator') throw new HttpError(422, 'bad_reference', `reference: dataset ${b.id} is a generator; a generator can only be the generated set`, 'reference');
  if (d.name === 'is') {
    if (a.kind !== 'images' && a.kind !== 'generator') {
      throw new HttpError(422, 'needs_images', `generated: dataset ${a.id} is ${a.kind}; the Inception Score needs the images (its logits come from the network)`, 'generated');
    }
    return;
  }
  if (oneSet(d)) {
    if (a.kind === 'statistics') throw new HttpError(422, 'needs_features', `generated: dataset ${a.id} is statistics (mu, sigma), which hold no samples; ${d.name} needs features`, 'generated');
    return;
  }
  if (options.metrics !== undefined && String(options.metrics).split(',').includes('is') && a.kind !== 'images' && a.kind !== 'generator') {
    throw new HttpError(422, 'needs_images', `generated: dataset ${a.id} is ${a.kind}; the Inception Score needs the images (its logits come from the network)`, 'generated');
  }
  if (!b) throw new HttpError(400, 'bad_request', `reference: required for ${d.name}`, 'reference');
  for (const [role, ds] of [['generated', a], ['reference', b]] as const) {
    if (d.name !== 'fid' && ds.kind === 'statistics') {
      throw new HttpError(422, 'needs_features', `${role}: dataset ${ds.id} is statistics (mu, sigma), which hold no samples; ${d.name} needs features`, role);
    }
  }
  const runsKid = d.name === 'kid' || (d.name === 'all' && (options.metrics === undefined || String(options.metrics).split(',').includes('kid')));
  if (runsKid) {
    try {
      // Image datasets still processing have no count yet: their subsets are checked when they run.
      const rows = a.kind === 'generator' ? (options.samples as number) : a.count;
      if (rows !== null && b.count !== null) {
        kidPlan({ rows, source: `generated dataset ${a.id}` }, { rows: b.count, source: `reference dataset ${b.id}` }, kidOptions(options as never));
      }
    } catch (err) {
      throw fromLibrary(err);
    }
  }
  if (a.dims !== b.dims) throw new HttpError(422, 'dimension_mismatch', `dimension mismatch: generated dataset ${a.id} is ${a.dims}-d, reference dataset ${b.id} is ${b.dims}-d`, 'reference');
  if (a.mode && b.mode && (a.mode !== b.mode || a.model !== b.model)) {
    throw new HttpError(422, 'origin_mismatch', `generated dataset ${a.id} was made with ${a.mode}/${a.model}, reference ${b.id} with ${b.mode}/${b.model}: features of different preprocessing are not comparable`, 'reference');
  }
}

/** The dedup key: the same project asking for the same work again gets the same evaluation. */
export function requestKey(d: AnyCommand, r: EvaluationRequest, options: Options): string {
  const canonical = JSON.stringify([d.name, r.generated, r.reference ?? null, Object.keys(options).sort().map((k) => [k, options[k]]), r.run ?? null, r.step ?? null]);
  return createHash('sha256').update(canonical).digest('hex');
}

export const newEvaluationId = (): string => `ev_${randomBytes(9).toString('base64url')}`;

export interface EvaluationEvent {
  id: string;
  status: EvaluationRow['status'];
  progress?: unknown;
}

/** The public form of an evaluation row. */
export function evaluationJson(e: EvaluationRow): Record<string, unknown> {
  return {
    id: e.id,
    status: e.status,
    generated: e.generated,
    reference: e.reference || null,
    metrics: JSON.parse(e.metrics),
    command: e.command,
    run: e.run,
    step: e.step,
    progress: e.progress ? JSON.parse(e.progress) : null,
    result: e.result ? JSON.parse(e.result) : null,
    error: e.error,
    provenance: e.provenance ? JSON.parse(e.provenance) : null,
    attempts: e.attempts,
    created: e.created,
    started: e.started,
    finished: e.finished,
  };
}

/** Runs queued evaluations, `concurrency` at a time; emits an event per progress step and state. */
export class JobRunner extends EventEmitter {
  private running = 0;
  private draining = false;
  private readonly active = new Set<Promise<void>>();

  constructor(
    protected readonly store: Store,
    protected readonly blobs: BlobStore,
    protected readonly o: { concurrency: number; threads: number; maxAttempts: number; progressIntervalMs: number; maxPixels: number },
  ) {
    super();
    this.setMaxListeners(0);
  }

  /** Re-queues what a crash left running, then starts taking jobs. */
  start(): { requeued: number; failed: number } {
    const r = this.store.recover(this.o.maxAttempts, `interrupted ${this.o.maxAttempts} times (the server stopped while it ran)`);
    this.poke();
    return r;
  }

  /** Takes queued jobs while slots are free: image datasets' extractions first (evaluations wait for them). */
  poke(): void {
    while (!this.draining && this.running < this.o.concurrency) {
      const dataset = this.store.claimDataset();
      const job = dataset ? undefined : this.store.claimNext();
      if (!dataset && !job) return;
      this.running++;
      if (job) this.publish(job);
      const p = (dataset ? this.extract(dataset) : this.execute(job!)).finally(() => {
        this.running--;
        this.active.delete(p);
        this.poke();
      });
      this.active.add(p);
    }
  }

  /** Takes no new jobs; waits for the running ones. */
  async drain(): Promise<void> {
    this.draining = true;
    await Promise.all([...this.active]);
  }

  publish(e: EvaluationRow): void {
    this.emit(e.id, { id: e.id, status: e.status, progress: e.progress ? JSON.parse(e.progress) : undefined } satisfies EvaluationEvent);
  }

  /** An image dataset's features, through the feature cache (the evaluations then find them there). */
  protected async extract(ds: DatasetRow): Promise<void> {
    const file = this.blobs.absolute(ds.blob);
    try {
      const files = await extractFeatureFiles(file, {
        mode: ds.mode as ResizeMode,
        model: ds.model ?? undefined,
        threads: this.o.threads,
        maxPixels: this.o.maxPixels,
        cache: true,
        onProgress: (done, total) => this.store.setDatasetProgress(ds.id, { phase: 'features', unit: 'img', done, total }),
      });
      const { count, model } = files.meta;
      files.dispose();
      this.store.finishDataset(ds.id, { status: 'ready', count, dims: POOL3_DIMS, mode: ds.mode!, model: model.name, modelSha256: model.sha256 });
    } catch (err) {
      this.store.finishDataset(ds.id, { status: 'failed', error: fromLibrary(err, { [file]: `dataset ${ds.id}` }).message });
    }
  }

  /** Runs an evaluation's command (the scale-out runner spreads its pairwise passes over workers). */
  protected runJob(d: AnyCommand, inputs: string[], options: Options, reporter: Reporter): Promise<unknown> {
    return runCommand(d, inputs, options, reporter);
  }

  private async execute(job: EvaluationRow): Promise<void> {
    const d = findCommand(job.command);
    const names: Record<string, string> = {};
    const ids = oneSet(d) ? [job.generated] : [job.generated, job.reference];
    let inputs: string[];
    try {
      inputs = ids.map((id) => {
        const ds = this.store.datasetById(id);
        if (!ds) throw new HttpError(404, 'not_found', `dataset ${id} is gone`);
        const file = this.blobs.absolute(ds.blob);
        names[file] = `dataset ${id}`;
        return file;
      });
    } catch (err) {
      this.store.finish(job.id, 'failed', { error: fromLibrary(err).message });
      this.publish(this.store.evaluation(job.id)!);
      return;
    }
    let last = 0;
    const reporter: Reporter = {
      warn: (m) => this.store.audit(null, 'evaluation.warning', `${job.id}: ${m}`),
      notice: () => undefined,
      progress: (label: string, unit: string): Progress => ({
        update: (done, total) => {
          const t = Date.now();
          if (t - last < this.o.progressIntervalMs && done < total) return;
          last = t;
          const progress = { phase: label, unit, done, total };
          this.store.setProgress(job.id, progress);
          this.emit(job.id, { id: job.id, status: 'running', progress } satisfies EvaluationEvent);
        },
        stop: () => undefined,
      }),
    };
    const started = Date.now();
    try {
      const options: Options = { ...(JSON.parse(job.options) as Options), threads: this.o.threads || undefined };
      // A generator dataset is option generator (its samples stream to the network), not an input.
      // The command then puts the generator's samples first again: results keep the request's order.
      const generated = this.store.datasetById(ids[0])!;
      if (generated.kind === 'generator') options.generator = inputs.shift();
      // Image and generator datasets: the preprocessing they were uploaded with (image features then come from the cache).
      const images = ids.map((id) => this.store.datasetById(id)!).find((x) => x.kind === 'images' || x.kind === 'generator');
      if (images && d.options.some((o) => o.key === 'mode')) Object.assign(options, { mode: images.mode, model: images.model, maxPixels: this.o.maxPixels });
      const result = (await this.runJob(d, inputs, options, reporter)) as Record<string, unknown>;
      // Inputs are named by dataset id: the blob paths are the server's business.
      // (a generator's provenance too).
      const rename = (p: { path: string; generator?: { path: string } }, id: string) => ({ ...p, path: `dataset:${id}`, ...(p.generator ? { generator: { ...p.generator, path: `dataset:${id}` } } : {}) });
      if (Array.isArray(result.inputs)) result.inputs = (result.inputs as { path: string }[]).map((p, i) => rename(p, ids[i]));
      if (result.input && typeof result.input === 'object') result.input = rename(result.input as { path: string }, ids[0]);
      const provenance = {
        genmetrics: version,
        command: d.name,
        options: JSON.parse(job.options),
        seconds: (Date.now() - started) / 1000,
        datasets: ids.map((id) => {
          const ds = this.store.datasetById(id)!;
          return { id, sha256: ds.sha256, kind: ds.kind, count: ds.count, dims: ds.dims, mode: ds.mode, model: ds.model, model_sha256: ds.model_sha256 };
        }),
      };
      this.store.finish(job.id, 'done', { result: JSON.stringify(result), provenance: JSON.stringify(provenance) });
    } catch (err) {
      this.store.finish(job.id, 'failed', { error: fromLibrary(err, names).message });
    }
    this.publish(this.store.evaluation(job.id)!);
  }
}
