/**
 * The service's metadata in one SQLite file (better-sqlite3, WAL): tokens, datasets, evaluations
 * (which are also the job queue), human studies (studies/store.ts) and an audit log. Every write
 * is one transaction, so a crash at any moment leaves either the old or the new state; blobs live
 * beside it (blobs.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import type BetterSqlite3 from 'better-sqlite3';
import { GenmetricsError } from '../errors';
import { lazyModule } from '../lazy';

// An optional dependency: it needs a prebuilt binary (downloaded from GitHub) or a C++ compiler,
// and only the service uses it, so an install without either still gives the CLI and the API.
const sqlite = lazyModule(() => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('better-sqlite3') as typeof BetterSqlite3;
  } catch (err) {
    throw new GenmetricsError(
      `the service needs better-sqlite3, which is not installed or did not build (${(err as Error).message.split('\n')[0]}); install it with 'npm install better-sqlite3' (it downloads a prebuilt binary, or builds with a C++ compiler and Python 3)`,
    );
  }
});

export type Scope = 'read' | 'write' | 'admin';
export const SCOPES: readonly Scope[] = ['read', 'write', 'admin'];

export interface TokenRow {
  id: string;
  name: string;
  project: string;
  scope: Scope;
  hash: string;
  created: string;
  revoked: string | null;
}

export type DatasetKind = 'features' | 'statistics' | 'images' | 'generator';
export type DatasetStatus = 'processing' | 'ready' | 'failed';

export interface DatasetRow {
  id: string;
  project: string;
  sha256: string;
  blob: string;
  kind: DatasetKind;
  count: number | null;
  dims: number;
  mode: string | null;
  model: string | null;
  /** The network's SHA-256, where known (image datasets once extracted; genmetrics statistics). */
  model_sha256: string | null;
  name: string | null;
  public: number;
  bytes: number;
  /** Image datasets: 'processing' while their features are extracted (a job), then 'ready' or 'failed'. */
  status: DatasetStatus;
  progress: string | null;
  error: string | null;
  attempts: number;
  created: string;
}

export type EvaluationStatus = 'queued' | 'running' | 'done' | 'failed' | 'canceled';

export interface EvaluationRow {
  id: string;
  seq: number;
  project: string;
  key: string;
  generated: string;
  reference: string;
  metrics: string;
  command: string;
  options: string;
  run: string | null;
  step: number | null;
  status: EvaluationStatus;
  progress: string | null;
  result: string | null;
  error: string | null;
  provenance: string | null;
  attempts: number;
  created: string;
  started: string | null;
  finished: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, project TEXT NOT NULL, scope TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE, created TEXT NOT NULL, revoked TEXT);
CREATE TABLE IF NOT EXISTS datasets (
  id TEXT PRIMARY KEY, project TEXT NOT NULL, sha256 TEXT NOT NULL, blob TEXT NOT NULL, kind TEXT NOT NULL,
  count INTEGER, dims INTEGER NOT NULL, mode TEXT, model TEXT, model_sha256 TEXT, name TEXT, public INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'ready', progress TEXT, error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL, UNIQUE (project, sha256));
CREATE INDEX IF NOT EXISTS datasets_status ON datasets (status, created);
CREATE TABLE IF NOT EXISTS evaluations (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, project TEXT NOT NULL, key TEXT NOT NULL,
  generated TEXT NOT NULL, reference TEXT NOT NULL, metrics TEXT NOT NULL, command TEXT NOT NULL,
  options TEXT NOT NULL, run TEXT, step INTEGER, status TEXT NOT NULL, progress TEXT, result TEXT,
  error TEXT, provenance TEXT, attempts INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL,
  started TEXT, finished TEXT, UNIQUE (project, key));
CREATE INDEX IF NOT EXISTS evaluations_status ON evaluations (status, seq);
CREATE INDEX IF NOT EXISTS evaluations_run ON evaluations (project, run, step);
CREATE TABLE IF NOT EXISTS studies (
  id TEXT PRIMARY KEY, project TEXT NOT NULL, real TEXT NOT NULL, fake TEXT NOT NULL, mode TEXT NOT NULL,
  images INTEGER NOT NULL, raters INTEGER NOT NULL, tutorial INTEGER NOT NULL, fake_fraction REAL NOT NULL,
  seed INTEGER NOT NULL, rule TEXT, secret TEXT NOT NULL, status TEXT NOT NULL, created TEXT NOT NULL, closed TEXT);
CREATE INDEX IF NOT EXISTS studies_project ON studies (project, created);
CREATE TABLE IF NOT EXISTS study_images (
  study TEXT NOT NULL, idx INTEGER NOT NULL, truth TEXT NOT NULL, dataset TEXT NOT NULL, item INTEGER NOT NULL,
  tutorial INTEGER NOT NULL, PRIMARY KEY (study, idx));
CREATE TABLE IF NOT EXISTS raters (
  id TEXT PRIMARY KEY, study TEXT NOT NULL, seq INTEGER NOT NULL, sequence TEXT NOT NULL, started TEXT NOT NULL,
  finished TEXT, UNIQUE (study, seq));
CREATE TABLE IF NOT EXISTS answers (
  rater TEXT NOT NULL, trial INTEGER NOT NULL, study TEXT NOT NULL, image INTEGER NOT NULL, truth TEXT NOT NULL,
  answer TEXT NOT NULL, ms INTEGER, exposure_ms INTEGER, tutorial INTEGER NOT NULL, at TEXT NOT NULL,
  PRIMARY KEY (rater, trial));
CREATE INDEX IF NOT EXISTS answers_study ON answers (study, rater, trial);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, token TEXT, action TEXT NOT NULL, target TEXT);
`;

const now = () => new Date().toISOString();

export class Store {
  readonly db: BetterSqlite3.Database;

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    this.db = new (sqlite())(path.join(dir, 'genmetrics.sqlite'));
    this.db.pragma('journal_mode = WAL');
    // FULL: a transaction that returned is on disk (a crash loses nothing acknowledged).
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  integrityCheck(): string {
    return String(this.db.pragma('integrity_check', { simple: true }));
  }

  audit(token: string | null, action: string, target: string | null): void {
    this.db.prepare('INSERT INTO audit (at, token, action, target) VALUES (?, ?, ?, ?)').run(now(), token, action, target);
  }

  // tokens
  insertToken(t: Omit<TokenRow, 'created' | 'revoked'>): TokenRow {
    const row = { ...t, created: now(), revoked: null };
    this.db.prepare('INSERT INTO tokens (id, name, project, scope, hash, created, revoked) VALUES (@id, @name, @project, @scope, @hash, @created, @revoked)').run(row);
    return row;
  }
  tokenByHash(hash: string): TokenRow | undefined {
    return this.db.prepare('SELECT * FROM tokens WHERE hash = ?').get(hash) as TokenRow | undefined;
  }
  tokens(): TokenRow[] {
    return this.db.prepare('SELECT * FROM tokens ORDER BY created, id').all() as TokenRow[];
  }
  revokeToken(id: string): boolean {
    return this.db.prepare('UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL').run(now(), id).changes === 1;
  }

  // datasets
  insertDataset(d: Omit<DatasetRow, 'created' | 'progress' | 'error' | 'attempts'>): DatasetRow {
    const row = { ...d, progress: null, error: null, attempts: 0, created: now() };
    this.db
      .prepare(
        'INSERT INTO datasets (id, project, sha256, blob, kind, count, dims, mode, model, model_sha256, name, public, bytes, status, created) VALUES (@id, @project, @sha256, @blob, @kind, @count, @dims, @mode, @model, @model_sha256, @name, @public, @bytes, @status, @created)',
      )
      .run(row);
    return row;
  }
  /** The oldest image dataset waiting for its features, marked as taken (attempts + 1). */
  claimDataset(): DatasetRow | undefined {
    return this.db.transaction(() => {
      const row = this.db.prepare("SELECT * FROM datasets WHERE status = 'processing' AND progress IS NULL ORDER BY created, id LIMIT 1").get() as DatasetRow | undefined;
      if (!row) return undefined;
      this.db.prepare("UPDATE datasets SET attempts = attempts + 1, progress = '{}' WHERE id = ?").run(row.id);
      return this.datasetById(row.id);
    })();
  }
  setDatasetProgress(id: string, progress: unknown): void {
    this.db.prepare("UPDATE datasets SET progress = ? WHERE id = ? AND status = 'processing'").run(JSON.stringify(progress), id);
  }
  finishDataset(id: string, f: { status: 'ready'; count: number; dims: number; mode: string; model: string; modelSha256: string } | { status: 'failed'; error: string }): void {
    if (f.status === 'ready')
      this.db
        .prepare('UPDATE datasets SET status = ?, count = ?, dims = ?, mode = ?, model = ?, model_sha256 = ?, progress = NULL WHERE id = ?')
        .run(f.status, f.count, f.dims, f.mode, f.model, f.modelSha256, id);
    else this.db.prepare("UPDATE datasets SET status = 'failed', error = ?, progress = NULL WHERE id = ?").run(f.error, id);
  }
  datasetBySha(project: string, sha256: string): DatasetRow | undefined {
    return this.db.prepare('SELECT * FROM datasets WHERE project = ? AND sha256 = ?').get(project, sha256) as DatasetRow | undefined;
  }
  /** A dataset the project may read: its own, or another project's public one. */
  visibleDataset(project: string, id: string): DatasetRow | undefined {
    return this.db.prepare('SELECT * FROM datasets WHERE id = ? AND (project = ? OR public = 1)').get(id, project) as DatasetRow | undefined;
  }
  datasetById(id: string): DatasetRow | undefined {
    return this.db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as DatasetRow | undefined;
  }
  datasets(project: string): DatasetRow[] {
    return this.db.prepare('SELECT * FROM datasets WHERE project = ? OR public = 1 ORDER BY created, id').all(project) as DatasetRow[];
  }
  deleteDataset(id: string): void {
    this.db.prepare('DELETE FROM datasets WHERE id = ?').run(id);
  }
  /** Whether any dataset row still points at a blob (blobs are shared between projects). */
  blobInUse(blob: string): boolean {
    return this.db.prepare('SELECT 1 FROM datasets WHERE blob = ? LIMIT 1').get(blob) !== undefined;
  }
  datasetInUse(id: string): boolean {
    return (
      this.db.prepare("SELECT 1 FROM evaluations WHERE (generated = ? OR reference = ?) AND status IN ('queued', 'running') LIMIT 1").get(id, id) !==
      undefined
    );
  }

  // evaluations (the job queue: status 'queued' rows in seq order)
  insertEvaluation(e: Pick<EvaluationRow, 'id' | 'project' | 'key' | 'generated' | 'reference' | 'metrics' | 'command' | 'options' | 'run' | 'step'>): EvaluationRow {
    this.db
      .prepare(
        "INSERT INTO evaluations (id, project, key, generated, reference, metrics, command, options, run, step, status, created) VALUES (@id, @project, @key, @generated, @reference, @metrics, @command, @options, @run, @step, 'queued', @created)",
      )
      .run({ ...e, created: now() });
    return this.evaluation(e.id)!;
  }
  evaluation(id: string): EvaluationRow | undefined {
    return this.db.prepare('SELECT * FROM evaluations WHERE id = ?').get(id) as EvaluationRow | undefined;
  }
  evaluationByKey(project: string, key: string): EvaluationRow | undefined {
    return this.db.prepare('SELECT * FROM evaluations WHERE project = ? AND key = ?').get(project, key) as EvaluationRow | undefined;
  }
  evaluations(project: string, run?: string): EvaluationRow[] {
    return run === undefined
      ? (this.db.prepare('SELECT * FROM evaluations WHERE project = ? ORDER BY seq').all(project) as EvaluationRow[])
      : (this.db.prepare('SELECT * FROM evaluations WHERE project = ? AND run = ? ORDER BY step, seq').all(project, run) as EvaluationRow[]);
  }
  queuedCount(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM evaluations WHERE status = 'queued'").get() as { n: number }).n;
  }
  /** The oldest queued evaluation, marked running (one transaction: two runners never take one job). */
  claimNext(): EvaluationRow | undefined {
    return this.db.transaction(() => {
      // An evaluation of a dataset whose features could not be extracted fails with its reason.
      this.db
        .prepare(
          "UPDATE evaluations SET status = 'failed', finished = ?, error = (SELECT 'dataset ' || d.id || ': ' || d.error FROM datasets d WHERE d.id IN (evaluations.generated, evaluations.reference) AND d.status = 'failed' LIMIT 1) WHERE status = 'queued' AND EXISTS (SELECT 1 FROM datasets d WHERE d.id IN (evaluations.generated, evaluations.reference) AND d.status = 'failed')",
        )
        .run(now());
      // The oldest queued evaluation whose datasets are ready (image datasets may still be processing).
      const row = this.db
        .prepare(
          "SELECT * FROM evaluations e WHERE status = 'queued' AND NOT EXISTS (SELECT 1 FROM datasets d WHERE d.id IN (e.generated, e.reference) AND d.status != 'ready') ORDER BY seq LIMIT 1",
        )
        .get() as EvaluationRow | undefined;
      if (!row) return undefined;
      this.db.prepare("UPDATE evaluations SET status = 'running', attempts = attempts + 1, started = ?, progress = NULL WHERE id = ?").run(now(), row.id);
      return this.evaluation(row.id);
    })();
  }
  setProgress(id: string, progress: unknown): void {
    this.db.prepare("UPDATE evaluations SET progress = ? WHERE id = ? AND status = 'running'").run(JSON.stringify(progress), id);
  }
  /** Ends a running evaluation (a cancel that came meanwhile wins: its row is no longer 'running'). */
  finish(id: string, status: 'done' | 'failed', fields: { result?: string; error?: string; provenance?: string }): boolean {
    return (
      this.db
        .prepare("UPDATE evaluations SET status = ?, result = ?, error = ?, provenance = ?, finished = ? WHERE id = ? AND status = 'running'")
        .run(status, fields.result ?? null, fields.error ?? null, fields.provenance ?? null, now(), id).changes === 1
    );
  }
  cancel(id: string): boolean {
    return this.db.prepare("UPDATE evaluations SET status = 'canceled', finished = ? WHERE id = ? AND status IN ('queued', 'running')").run(now(), id).changes === 1;
  }
  /**
   * After a crash or a drain: running evaluations go back to the queue, or fail once they have
   * used their attempts. Returns how many were re-queued and failed.
   */
  recover(maxAttempts: number, reason: string): { requeued: number; failed: number } {
    return this.db.transaction(() => {
      const failed = this.db
        .prepare("UPDATE evaluations SET status = 'failed', error = ?, finished = ? WHERE status = 'running' AND attempts >= ?")
        .run(reason, now(), maxAttempts).changes;
      const requeued = this.db.prepare("UPDATE evaluations SET status = 'queued', progress = NULL WHERE status = 'running'").run().changes;
      // Image datasets whose extraction was interrupted: taken again, or failed after maxAttempts.
      this.db.prepare("UPDATE datasets SET status = 'failed', error = ?, progress = NULL WHERE status = 'processing' AND progress IS NOT NULL AND attempts >= ?").run(reason, maxAttempts);
      this.db.prepare("UPDATE datasets SET progress = NULL WHERE status = 'processing'").run();
      return { requeued, failed };
    })();
  }
}
