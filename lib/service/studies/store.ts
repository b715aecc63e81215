/**
 * The human studies' rows (tables in store.ts's schema): a study, the images it drew once, its
 * raters (each with their own order of those images) and their answers. An answer is stored once:
 * (rater, trial) is the key, and only the rater's next trial is accepted, in one transaction.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { staircaseStart, staircaseStep, type Label, type StaircaseRule } from '../../metrics/hype';

export type StudyMode = 'infinity' | 'time';
/** open: takes new raters; complete: enough raters finished (those under way may finish); closed: takes nothing. */
export type StudyStatus = 'open' | 'complete' | 'closed';

export interface StudyRow {
  id: string;
  project: string;
  real: string;
  fake: string;
  mode: StudyMode;
  images: number;
  raters: number;
  tutorial: number;
  fake_fraction: number;
  seed: number;
  /** HYPE-time's staircase (JSON), null for HYPE∞. */
  rule: string | null;
  secret: string;
  status: StudyStatus;
  created: string;
  closed: string | null;
}

export interface StudyImageRow {
  study: string;
  idx: number;
  truth: Label;
  dataset: string;
  item: number;
  tutorial: number;
}

export interface RaterRow {
  id: string;
  study: string;
  seq: number;
  /** The study's image indices in this rater's order (tutorial ones first), JSON. */
  sequence: string;
  started: string;
  finished: string | null;
}

export interface AnswerRow {
  rater: string;
  trial: number;
  study: string;
  image: number;
  truth: Label;
  answer: Label;
  ms: number | null;
  exposure_ms: number | null;
  tutorial: number;
  at: string;
}

/** Where a rater stands: their next trial (= answers so far) of `total`. */
export interface RaterState {
  rater: RaterRow;
  order: number[];
  next: number;
  total: number;
  last?: AnswerRow;
}

export type AnswerOutcome = { kind: 'stored' | 'duplicate'; state: RaterState } | { kind: 'ahead' | 'closed'; state: RaterState };

const now = () => new Date().toISOString();

export class StudyStore {
  constructor(private readonly db: BetterSqlite3.Database) {}

  insert(s: Omit<StudyRow, 'created' | 'closed' | 'status'>, images: Omit<StudyImageRow, 'study'>[]): StudyRow {
    this.db.transaction(() => {
      this.db
        .prepare(
          "INSERT INTO studies (id, project, real, fake, mode, images, raters, tutorial, fake_fraction, seed, rule, secret, status, created) VALUES (@id, @project, @real, @fake, @mode, @images, @raters, @tutorial, @fake_fraction, @seed, @rule, @secret, 'open', @created)",
        )
        .run({ ...s, created: now() });
      const put = this.db.prepare('INSERT INTO study_images (study, idx, truth, dataset, item, tutorial) VALUES (?, ?, ?, ?, ?, ?)');
      for (const i of images) put.run(s.id, i.idx, i.truth, i.dataset, i.item, i.tutorial);
    })();
    return this.study(s.id)!;
  }

  study(id: string): StudyRow | undefined {
    return this.db.prepare('SELECT * FROM studies WHERE id = ?').get(id) as StudyRow | undefined;
  }
  studies(project: string): StudyRow[] {
    return this.db.prepare('SELECT * FROM studies WHERE project = ? ORDER BY created, id').all(project) as StudyRow[];
  }
  images(study: string): StudyImageRow[] {
    return this.db.prepare('SELECT * FROM study_images WHERE study = ? ORDER BY idx').all(study) as StudyImageRow[];
  }
  image(study: string, idx: number): StudyImageRow | undefined {
    return this.db.prepare('SELECT * FROM study_images WHERE study = ? AND idx = ?').get(study, idx) as StudyImageRow | undefined;
  }
  close(id: string): boolean {
    return this.db.prepare("UPDATE studies SET status = 'closed', closed = ? WHERE id = ? AND status != 'closed'").run(now(), id).changes === 1;
  }
  /** A study that still uses the dataset (not closed), if any. */
  usingDataset(dataset: string): StudyRow | undefined {
    return this.db.prepare("SELECT * FROM studies WHERE (real = ? OR fake = ?) AND status != 'closed' LIMIT 1").get(dataset, dataset) as StudyRow | undefined;
  }

  // raters
  /** A new rater of an open study, with an order drawn by `orderOf(seq)`; undefined when the study takes no new raters. */
  addRater(study: string, id: string, orderOf: (seq: number) => number[]): RaterRow | undefined {
    return this.db.transaction(() => {
      const s = this.study(study);
      if (!s || s.status !== 'open') return undefined;
      const seq = ((this.db.prepare('SELECT MAX(seq) AS m FROM raters WHERE study = ?').get(study) as { m: number | null }).m ?? 0) + 1;
      this.db.prepare('INSERT INTO raters (id, study, seq, sequence, started) VALUES (?, ?, ?, ?, ?)').run(id, study, seq, JSON.stringify(orderOf(seq)), now());
      return this.rater(study, id);
    })();
  }
  rater(study: string, id: string): RaterRow | undefined {
    return this.db.prepare('SELECT * FROM raters WHERE id = ? AND study = ?').get(id, study) as RaterRow | undefined;
  }
  raters(study: string): RaterRow[] {
    return this.db.prepare('SELECT * FROM raters WHERE study = ? ORDER BY seq').all(study) as RaterRow[];
  }
  counts(study: string): { started: number; finished: number } {
    return this.db.prepare('SELECT COUNT(*) AS started, COUNT(finished) AS finished FROM raters WHERE study = ?').get(study) as { started: number; finished: number };
  }

  state(rater: RaterRow): RaterState {
    const order = JSON.parse(rater.sequence) as number[];
    const last = this.db.prepare('SELECT * FROM answers WHERE rater = ? ORDER BY trial DESC LIMIT 1').get(rater.id) as AnswerRow | undefined;
    return { rater, order, next: last ? last.trial + 1 : 0, total: order.length, last };
  }

  /** HYPE-time: the exposure of the rater's next scored trial, from their scored answers so far. */
  exposure(rater: string, rule: StaircaseRule): number {
    const rows = this.db.prepare('SELECT truth, answer FROM answers WHERE rater = ? AND tutorial = 0 ORDER BY trial').all(rater) as { truth: Label; answer: Label }[];
    let s = staircaseStart(rule);
    for (const r of rows) s = staircaseStep(s, r.truth === r.answer, rule);
    return s.exposureMs;
  }

  /**
   * Stores the answer to `trial` if it is the rater's next one (an earlier trial is a replay: nothing
   * changes). The last answer finishes the rater, and the study once `raters` have finished.
   */
  answer(study: StudyRow, rater: RaterRow, trial: number, answer: Label, ms: number | null, rule: StaircaseRule | null): AnswerOutcome {
    return this.db.transaction((): AnswerOutcome => {
      const current = this.study(study.id)!;
      const state = this.state(rater);
      if (trial < state.next) return { kind: 'duplicate', state };
      if (current.status === 'closed') return { kind: 'closed', state };
      if (trial > state.next || trial >= state.total) return { kind: 'ahead', state };
      const image = this.image(study.id, state.order[trial])!;
      const exposure = rule && !image.tutorial ? this.exposure(rater.id, rule) : rule ? rule.startMs : null;
      this.db
        .prepare('INSERT INTO answers (rater, trial, study, image, truth, answer, ms, exposure_ms, tutorial, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(rater.id, trial, study.id, image.idx, image.truth, answer, ms, exposure, image.tutorial, now());
      if (trial + 1 === state.total) {
        this.db.prepare('UPDATE raters SET finished = ? WHERE id = ?').run(now(), rater.id);
        if (this.counts(study.id).finished >= current.raters) this.db.prepare("UPDATE studies SET status = 'complete' WHERE id = ? AND status = 'open'").run(study.id);
      }
      return { kind: 'stored', state: this.state(this.rater(study.id, rater.id)!) };
    })();
  }

  /** A rater's scored answers and how many were right (the thank-you page). */
  scoreOf(rater: string): { scored: number; right: number } {
    return this.db.prepare('SELECT COUNT(*) AS scored, COALESCE(SUM(truth = answer), 0) AS right FROM answers WHERE rater = ? AND tutorial = 0').get(rater) as { scored: number; right: number };
  }

  answerCount(study: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM answers WHERE study = ?').get(study) as { n: number }).n;
  }

  /** Every answer of a study, by rater (in the order raters started) and trial. */
  answers(study: string, o: { tutorial?: boolean } = {}): (AnswerRow & { seq: number })[] {
    const where = o.tutorial === undefined ? '' : ` AND a.tutorial = ${o.tutorial ? 1 : 0}`;
    return this.db.prepare(`SELECT a.*, r.seq FROM answers a JOIN raters r ON r.id = a.rater WHERE a.study = ?${where} ORDER BY r.seq, a.trial`).all(study) as (AnswerRow & { seq: number })[];
  }
}
