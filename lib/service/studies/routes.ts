/**
 * HYPE studies over HTTP. The lab's side (/v1/studies, bearer tokens): create a study, follow its
 * score, download the answers, see which images fool people, close it. The raters' side (/rate/:id,
 * no token): the study's secret in the URL, an anonymous rater id in a cookie, one image at a time.
 */
import { timingSafeEqual } from 'crypto';
import { randomBytes } from 'crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';
import { csvText } from '../../io/csv';
import { tokenOf } from '../auth';
import type { BlobStore } from '../blobs';
import { HttpError } from '../http-error';
import type { DatasetRow, Store, TokenRow } from '../store';
import { messagePage, thanksPage, trialPage, type RenderedPage } from './page';
import { Stimuli } from './stimuli';
import type { RaterRow, StudyRow, StudyStore } from './store';
import { checkStudy, drawImages, imageErrors, newSecret, newStudyId, raterOrder, ruleOf, STUDY_DEFAULTS, STUDY_LIMITS, studyResults, type StudyRequest } from './study';

interface Context {
  store: Store;
  studies: StudyStore;
  blobs: BlobStore;
  maxPixels: number;
  /** Answers per rater per minute (429 beyond). */
  answerRateLimit: number;
}

const COOKIE = 'gm_rater';
const bearer = [{ bearer: [] as string[] }];
const idParams = { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] };
const secretQuery = { type: 'object', properties: { k: { type: 'string', maxLength: 64 } }, required: ['k'] };

/** An HTML answer for the raters' pages: never cached, never framed, its own CSP, no referrer (the URL holds the secret). */
export function sendPage(reply: FastifyReply, p: RenderedPage, status = 200): FastifyReply {
  return reply
    .code(status)
    .headers({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': p.csp, 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY' })
    .send(p.html);
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function registerStudyRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const { store, studies } = ctx;
  const stimuli = new Stimuli(ctx.blobs, ctx.maxPixels);
  app.addHook('onClose', async () => stimuli.close());

  const ownStudy = (token: TokenRow, id: string): StudyRow => {
    const s = studies.study(id);
    if (!s || s.project !== token.project) throw new HttpError(404, 'not_found', `no study ${id}`, 'id');
    return s;
  };
  // The bootstrap (10 000 resamples) runs again only when answers or finished raters change.
  const results = new Map<string, { key: string; value: ReturnType<typeof studyResults> }>();
  const resultsOf = (s: StudyRow, c: { finished: number }) => {
    const key = `${studies.answerCount(s.id)}:${c.finished}`;
    const hit = results.get(s.id);
    if (hit?.key === key) return hit.value;
    const value = studyResults(s, studies);
    results.set(s.id, { key, value });
    return value;
  };
  const raterUrl = (req: FastifyRequest, s: StudyRow) => `${req.protocol}://${req.host}/rate/${s.id}?k=${s.secret}`;
  const studyJson = (req: FastifyRequest, s: StudyRow, c = studies.counts(s.id)) => ({
    id: s.id,
    status: s.status,
    mode: s.mode,
    real: s.real,
    fake: s.fake,
    images: s.images,
    tutorial: s.tutorial,
    fake_fraction: s.fake_fraction,
    seed: s.seed,
    ...(s.rule ? { staircase: JSON.parse(s.rule) } : {}),
    raters: { target: s.raters, ...c },
    ...resultsOf(s, c),
    unit: s.mode === 'time' ? 'ms' : '%',
    rater_url: raterUrl(req, s),
    created: s.created,
    closed: s.closed,
  });
  const studySchema = { type: 'object', additionalProperties: true };

  // ---- the lab's side
  app.post(
    '/v1/studies',
    {
      schema: {
        summary: 'Start a HYPE study: raters judge images of two image datasets as real or fake',
        security: bearer,
        body: {
          type: 'object',
          properties: {
            real: { type: 'string', maxLength: 64 },
            fake: { type: 'string', maxLength: 64 },
            images: { type: 'integer', minimum: 2, maximum: STUDY_LIMITS.images, default: STUDY_DEFAULTS.images },
            mode: { type: 'string', enum: ['infinity', 'time'], default: STUDY_DEFAULTS.mode },
            raters: { type: 'integer', minimum: 1, maximum: STUDY_LIMITS.raters, default: STUDY_DEFAULTS.raters },
            tutorial: { type: 'integer', minimum: 0, maximum: STUDY_LIMITS.tutorial, default: STUDY_DEFAULTS.tutorial },
            seed: { type: 'integer', minimum: 0, maximum: 2 ** 32 - 1, default: STUDY_DEFAULTS.seed },
            fake_fraction: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: STUDY_DEFAULTS.fake_fraction },
            staircase: {
              type: 'object',
              properties: Object.fromEntries(['startMs', 'minMs', 'maxMs', 'downMs', 'upMs', 'down'].map((k) => [k, { type: 'integer', minimum: 1, maximum: 60_000 }])),
              additionalProperties: false,
            },
          },
          required: ['real', 'fake'],
          additionalProperties: false,
        },
        response: { 201: studySchema },
      },
    },
    async (req, reply) => {
      const token = tokenOf(req, 'write');
      const q = req.body as StudyRequest;
      const dataset = (key: 'real' | 'fake'): DatasetRow => {
        const d = store.visibleDataset(token.project, q[key]);
        if (!d) throw new HttpError(404, 'not_found', `${key}: no dataset ${q[key]}`, key);
        return d;
      };
      const real = dataset('real');
      const fake = dataset('fake');
      const r = checkStudy(q, real, fake);
      const count = (d: DatasetRow, key: string) => {
        try {
          return stimuli.count(d);
        } catch (err) {
          throw new HttpError(422, 'not_images', `${key}: dataset ${d.id}: ${(err as Error).message}`, key);
        }
      };
      const images = drawImages(r, { real: count(real, 'real'), fake: count(fake, 'fake') });
      const s = studies.insert(
        { id: newStudyId(), project: token.project, real: real.id, fake: fake.id, mode: r.mode, images: r.images, raters: r.raters, tutorial: images.filter((i) => i.tutorial).length, fake_fraction: r.fake_fraction, seed: r.seed, rule: r.rule ? JSON.stringify(r.rule) : null, secret: newSecret() },
        images,
      );
      store.audit(token.id, 'study.create', s.id);
      return reply.code(201).send(studyJson(req, s));
    },
  );

  app.get('/v1/studies', { schema: { summary: "The project's studies", security: bearer } }, async (req) => {
    const token = tokenOf(req, 'read');
    return { studies: studies.studies(token.project).map((s) => studyJson(req, s)) };
  });

  app.get('/v1/studies/:id', { schema: { summary: 'A study: status, raters, the HYPE score with its 95% bootstrap interval, error rates', security: bearer, params: idParams } }, async (req) => {
    const token = tokenOf(req, 'read');
    return studyJson(req, ownStudy(token, (req.params as { id: string }).id));
  });

  app.get('/v1/studies/:id/answers.csv', { schema: { summary: 'Every answer: rater, image, truth, answer, ms (and trial, exposure_ms, tutorial)', security: bearer, params: idParams, produces: ['text/csv'] } }, async (req, reply) => {
    const token = tokenOf(req, 'read');
    const s = ownStudy(token, (req.params as { id: string }).id);
    const rows: (string | number)[][] = [['rater', 'image', 'truth', 'answer', 'ms', 'trial', 'exposure_ms', 'tutorial']];
    for (const a of studies.answers(s.id)) rows.push([a.seq, a.image, a.truth, a.answer, a.ms ?? '', a.trial, a.exposure_ms ?? '', a.tutorial]);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${s.id}-answers.csv"`).send(csvText(rows));
  });

  app.get('/v1/studies/:id/images', { schema: { summary: 'Per scored image: answers, errors and error rate (%), the most fooling first', security: bearer, params: idParams } }, async (req) => {
    const token = tokenOf(req, 'read');
    const s = ownStudy(token, (req.params as { id: string }).id);
    return { images: imageErrors(s, studies) };
  });

  app.get(
    '/v1/studies/:id/images/:image',
    { schema: { summary: 'One image of the study (PNG), as raters saw it', security: bearer, params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 }, image: { type: 'integer', minimum: 0 } }, required: ['id', 'image'] } } },
    async (req, reply) => {
      const token = tokenOf(req, 'read');
      const p = req.params as { id: string; image: number };
      const s = ownStudy(token, p.id);
      const i = studies.image(s.id, p.image);
      if (!i) throw new HttpError(404, 'not_found', `study ${s.id} has no image ${p.image}`, 'image');
      const d = store.datasetById(i.dataset);
      if (!d) throw new HttpError(410, 'gone', `image ${p.image} came from dataset ${i.dataset}, which was deleted after the study closed`, 'image');
      return reply.type('image/png').send(await stimuli.png(d, i.item));
    },
  );

  app.post('/v1/studies/:id/close', { schema: { summary: 'Close a study: it takes no more raters or answers', security: bearer, params: idParams } }, async (req) => {
    const token = tokenOf(req, 'write');
    const s = ownStudy(token, (req.params as { id: string }).id);
    if (studies.close(s.id)) store.audit(token.id, 'study.close', s.id);
    return studyJson(req, studies.study(s.id)!);
  });

  // ---- the raters' side
  /** The study of a rater URL; 404 (the same for an unknown study and a wrong secret). */
  const raterStudy = (req: FastifyRequest): StudyRow => {
    const id = (req.params as { id: string }).id;
    const k = (req.query as { k: string }).k;
    const s = studies.study(id);
    if (!s || !sameSecret(k, s.secret)) throw new HttpError(404, 'not_found', 'There is no study at this address. Check the link you were given.');
    return s;
  };
  const raterOf = (req: FastifyRequest, s: StudyRow): RaterRow | undefined => {
    const id = req.cookies[COOKIE];
    return id ? studies.rater(s.id, id) : undefined;
  };
  const base = (s: StudyRow) => `/rate/${s.id}`;

  app.get('/rate/:id', { schema: { hide: true, params: idParams, querystring: secretQuery } }, async (req, reply) => {
    const s = raterStudy(req);
    let rater = raterOf(req, s);
    if (!rater) {
      if (s.status !== 'open') return sendPage(reply, messagePage('This study is over', s.status === 'closed' ? 'This study is closed and takes no more answers. Thank you for your interest.' : 'This study already has all the raters it needs. Thank you for your interest.'), 410);
      const total = studies.images(s.id).length;
      rater = studies.addRater(s.id, randomBytes(18).toString('base64url'), (seq) => raterOrder(s.seed, seq, s.tutorial, total));
      if (!rater) return sendPage(reply, messagePage('This study is over', 'This study takes no more raters.'), 410);
      void reply.setCookie(COOKIE, rater.id, { path: base(s), httpOnly: true, sameSite: 'lax', secure: req.protocol === 'https', maxAge: 60 * 60 * 24 * 365 });
    }
    const st = studies.state(rater);
    const last = st.last?.tutorial ? { right: st.last.answer === st.last.truth, truth: st.last.truth } : undefined;
    if (st.next >= st.total) {
      return sendPage(reply, thanksPage(studies.scoreOf(rater.id)));
    }
    if (s.status === 'closed') return sendPage(reply, messagePage('This study is closed', 'This study was closed and takes no more answers. Thank you for your help.'), 410);
    const rule = ruleOf(s);
    const tutorial = st.next < s.tutorial;
    const exposureMs = rule ? (tutorial ? rule.startMs : studies.exposure(rater.id, rule)) : null;
    return sendPage(reply, trialPage({ base: base(s), secret: s.secret, trial: st.next, total: st.total, tutorialTrials: s.tutorial, exposureMs, feedback: last }));
  });

  app.get(
    '/rate/:id/image',
    { schema: { hide: true, params: idParams, querystring: { type: 'object', properties: { k: { type: 'string', maxLength: 64 }, t: { type: 'integer', minimum: 0 } }, required: ['k', 't'] } } },
    async (req, reply) => {
      const s = raterStudy(req);
      const rater = raterOf(req, s);
      if (!rater) throw new HttpError(403, 'no_rater', 'No rater session: open the study link again (cookies must be allowed).');
      const st = studies.state(rater);
      // Only the image of the rater's current trial: nothing ahead of the answers, nothing else.
      const t = (req.query as { t: number }).t;
      if (t !== st.next || t >= st.total) throw new HttpError(404, 'not_found', `Image ${t} is not your current image.`);
      const i = studies.image(s.id, st.order[t])!;
      const png = await stimuli.png(store.datasetById(i.dataset)!, i.item);
      return reply.headers({ 'content-type': 'image/png', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).send(png);
    },
  );

  app.post(
    '/rate/:id/answer',
    {
      config: {
        rateLimit: {
          max: ctx.answerRateLimit,
          timeWindow: 60_000,
          keyGenerator: (req: FastifyRequest) => `answer:${req.cookies?.[COOKIE] ?? req.ip}`,
        },
      },
      schema: {
        hide: true,
        params: idParams,
        querystring: secretQuery,
        body: {
          type: 'object',
          properties: { t: { type: 'integer', minimum: 0 }, answer: { type: 'string', enum: ['real', 'fake'] }, ms: { type: 'string', pattern: '^[0-9]{0,8}$' } },
          required: ['t', 'answer'],
        },
      },
    },
    async (req, reply) => {
      const s = raterStudy(req);
      const rater = raterOf(req, s);
      if (!rater) throw new HttpError(403, 'no_rater', 'No rater session: open the study link again (cookies must be allowed).');
      const b = req.body as { t: number; answer: 'real' | 'fake'; ms?: string };
      const out = studies.answer(s, rater, b.t, b.answer, b.ms ? Number(b.ms) : null, ruleOf(s));
      if (out.kind === 'closed') throw new HttpError(409, 'closed', 'This study is closed and takes no more answers.');
      if (out.kind === 'ahead') throw new HttpError(409, 'not_current', `Answer ${b.t} is not for your current image: reload the page.`);
      // Stored, or a replay of an answer already stored (a double click): on to the next image.
      return reply.code(303).header('location', `${base(s)}?k=${encodeURIComponent(s.secret)}`).header('cache-control', 'no-store').send();
    },
  );
}
