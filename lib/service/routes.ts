/**
 * The HTTP API. Every route has a JSON schema (validation and the OpenAPI document come from it);
 * every /v1 route needs a bearer token of the right scope, and a project sees only its own datasets
 * and evaluations (and public datasets): another project's id answers 404.
 */
import { createHash, randomBytes } from 'crypto';
// Type-only: the plugins' augmentations of fastify's types (the plugins load in registerRoutes).
import type {} from '@fastify/multipart';
import type {} from '@fastify/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'stream';
import { authenticate, createToken, requireScope, tokenOf } from './auth';
import type { BlobStore } from './blobs';
import { IMAGE_EXTENSIONS } from '../images/decode';
import { listImages } from '../images/sources';
import { unpackArchive } from './archives';
import { imageOptions, inspectGenerator, inspectUpload, uploadFormat, type DatasetFacts } from './datasets';
import { checkDatasets, checkOptions, commandFor, evaluationJson, newEvaluationId, oneSet, requestKey, withMetricsOption, type EvaluationEvent, type EvaluationRequest, type JobRunner } from './evaluations';
import { HttpError } from './http-error';
import { evaluationReport } from './report';
import { messagePage } from './studies/page';
import { registerStudyRoutes, sendPage } from './studies/routes';
import { StudyStore } from './studies/store';
import type { ResolvedServiceOptions } from './server';
import type { DatasetRow, Scope, Store, TokenRow } from './store';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../package.json') as { version: string };

declare module 'fastify' {
  interface FastifyRequest {
    token?: TokenRow;
  }
}

interface Context {
  store: Store;
  blobs: BlobStore;
  runner: JobRunner;
  options: ResolvedServiceOptions;
}

const errorSchema = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } }, required: ['code', 'message'] } },
};
const datasetSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    sha256: { type: 'string' },
    kind: { type: 'string', enum: ['features', 'statistics', 'images', 'generator'] },
    count: { type: ['integer', 'null'] },
    dims: { type: 'integer' },
    mode: { type: ['string', 'null'] },
    model: { type: ['string', 'null'] },
    model_sha256: { type: ['string', 'null'] },
    name: { type: ['string', 'null'] },
    public: { type: 'boolean' },
    bytes: { type: 'integer' },
    status: { type: 'string', enum: ['processing', 'ready', 'failed'] },
    progress: { type: ['object', 'null'], additionalProperties: true },
    error: { type: ['string', 'null'] },
    created: { type: 'string' },
  },
};
const evaluationSchema = { type: 'object', additionalProperties: true };
const idParams = { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] };
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema, 413: errorSchema, 415: errorSchema, 422: errorSchema, 429: errorSchema, 503: errorSchema };
const bearer = [{ bearer: [] as string[] }];

function datasetJson(d: DatasetRow): Record<string, unknown> {
  const progress = d.status === 'processing' && d.progress && d.progress !== '{}' ? JSON.parse(d.progress) : null;
  return { id: d.id, sha256: d.sha256, kind: d.kind, count: d.count, dims: d.dims, mode: d.mode, model: d.model, model_sha256: d.model_sha256, name: d.name, public: d.public === 1, bytes: d.bytes, status: d.status, progress, error: d.error, created: d.created };
}

export async function registerRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const { store, blobs, runner, options: o } = ctx;
  const studies = new StudyStore(store.db);

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown; validationContext?: string; code?: string }, _req, reply) => {
    let e: HttpError;
    if (err instanceof HttpError) e = err;
    else if (err.validation) e = new HttpError(400, 'bad_request', `${err.validationContext ?? 'request'}: ${err.message}`);
    else if (err.statusCode === 429) e = new HttpError(429, 'rate_limited', err.message, undefined, { 'Retry-After': String(Math.ceil(o.rateWindowMs / 1000)) });
    else if (err.statusCode === 413 || err.code === 'FST_REQ_FILE_TOO_LARGE') e = new HttpError(413, 'too_large', `upload larger than the limit of ${o.maxUploadBytes} bytes`, 'file');
    else if (err.statusCode === 415 || err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') e = new HttpError(415, 'unsupported_media', err.message);
    else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) e = new HttpError(err.statusCode, 'bad_request', err.message);
    else e = new HttpError(500, 'internal', err.message);
    // The raters' pages answer in HTML, the API in JSON.
    if (_req.url.startsWith('/rate/')) {
      void sendPage(reply.headers(e.headers), messagePage(e.status === 429 ? 'Please slow down' : e.status === 404 ? 'Not found' : 'Something went wrong', e.message), e.status);
    } else void reply.code(e.status).headers(e.headers).send(e.body());
  });

  await app.register(require('@fastify/swagger'), {
    openapi: {
      info: { title: 'genmetrics scoring service', version },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(require('@fastify/swagger-ui'), { routePrefix: '/docs' });
  await app.register(require('@fastify/rate-limit'), {
    max: o.rateLimit,
    timeWindow: o.rateWindowMs,
    keyGenerator: (req: FastifyRequest) => {
      const h = req.headers.authorization;
      return h ? `t:${createHash('sha256').update(h).digest('hex')}` : `a:${req.ip}`;
    },
    errorResponseBuilder: (_req: FastifyRequest, c: { after: string }) => {
      const e = new HttpError(429, 'rate_limited', `too many requests: at most ${o.rateLimit} per ${o.rateWindowMs / 1000} s; retry in ${c.after}`);
      return Object.assign(e, { statusCode: 429 });
    },
  });
  await app.register(require('@fastify/cookie'));
  // The raters' answer form posts application/x-www-form-urlencoded.
  await app.register(require('@fastify/formbody'), { bodyLimit: 4096 });
  await app.register(require('@fastify/multipart'), { limits: { fileSize: o.maxUploadBytes, files: 1, fields: 16 } });
  // Raw uploads stream through untouched: the handler writes them to disk.
  app.addContentTypeParser(['application/octet-stream', 'application/x-npy', 'application/zip', 'application/x-npz'], (_req, payload, done) => done(null, payload));

  app.addHook('onRequest', async (req) => {
    if (req.url.startsWith('/v1/')) req.token = authenticate(store, req.headers.authorization);
  });

  app.get('/healthz', { schema: { summary: 'Liveness (no token needed)', response: { 200: { type: 'object', properties: { status: { type: 'string' }, version: { type: 'string' } } } } } }, async () => ({ status: 'ok', version }));
  app.get('/openapi.json', { schema: { hide: true } }, async () => (app as unknown as { swagger(): unknown }).swagger());

  // ---- datasets
  app.post(
    '/v1/datasets',
    {
      schema: {
        summary: 'Upload features (.npy), statistics (.npz) or a uint8 image stack (.npy/.npz, N x H x W x 3; its features are extracted in a job): a raw body or the multipart field "file"',
        security: bearer,
        querystring: {
          type: 'object',
          properties: {
            name: { type: 'string', maxLength: 200 },
            public: { type: 'boolean' },
            mode: { type: 'string', maxLength: 40 },
            model: { type: 'string', maxLength: 100 },
            kind: { type: 'string', enum: ['generator'] },
          },
          additionalProperties: false,
        },
        response: { 200: datasetSchema, 201: datasetSchema, ...errors },
      },
    },
    async (req, reply) => {
      const token = tokenOf(req, 'write');
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > o.maxUploadBytes + 64 * 1024) {
        throw new HttpError(413, 'too_large', `upload of ${declared} bytes is larger than the limit of ${o.maxUploadBytes} bytes`, 'file');
      }
      const q = req.query as { name?: string; public?: boolean; mode?: string; model?: string; kind?: 'generator' };
      let name = q.name;
      const preprocessing = { mode: q.mode, model: q.model };
      let isPublic = q.public ?? false;
      let source: Readable;
      let truncated = () => false;
      if (req.isMultipart()) {
        const part = await (req as unknown as { file(): Promise<{ file: Readable & { truncated: boolean }; fieldname: string; fields: Record<string, { value?: unknown } | undefined> } | undefined> }).file();
        if (!part || part.fieldname !== 'file') throw new HttpError(400, 'no_file', "multipart upload without the field 'file'", 'file');
        const field = (k: string) => (part.fields[k] && typeof part.fields[k]!.value === 'string' ? (part.fields[k]!.value as string) : undefined);
        name = field('name') ?? name;
        preprocessing.mode = field('mode') ?? preprocessing.mode;
        preprocessing.model = field('model') ?? preprocessing.model;
        if (field('public') !== undefined) isPublic = field('public') === 'true';
        source = part.file;
        truncated = () => part.file.truncated;
      } else {
        if (!(req.body && typeof (req.body as Readable).pipe === 'function')) {
          throw new HttpError(415, 'unsupported_media', 'send the file as the body (Content-Type: application/octet-stream) or as the multipart field "file"', 'file');
        }
        source = req.body as Readable;
      }
      if (isPublic) requireScope(token, 'admin');
      // Checked before the upload is read: a bad mode or model must not cost the transfer.
      const image = imageOptions(preprocessing);
      const temp = await blobs.receive(source, '', o.maxUploadBytes, 'file');
      try {
        // @fastify/multipart cuts a file at the limit and says so only through `truncated`.
        if (truncated()) throw new HttpError(413, 'too_large', `file: upload larger than the limit of ${o.maxUploadBytes} bytes`, 'file');
        if (temp.bytes === 0) throw new HttpError(422, 'invalid_dataset', 'file: the upload is empty', 'file');
        const onlyImages = (kind: string) => {
          if (kind !== 'images' && kind !== 'generator' && (preprocessing.mode !== undefined || preprocessing.model !== undefined)) {
            throw new HttpError(400, 'bad_option', `mode/model apply to image uploads; this upload is ${kind}`, preprocessing.mode !== undefined ? 'mode' : 'model');
          }
        };
        const existing = store.datasetBySha(token.project, temp.sha256);
        if (existing) {
          if (q.kind !== undefined && existing.kind !== q.kind) {
            throw new HttpError(422, 'invalid_dataset', `file: these bytes are dataset ${existing.id}, of kind ${existing.kind}, not a ${q.kind}`, 'file');
          }
          onlyImages(existing.kind);
          blobs.discard(temp);
          return reply.code(200).send(datasetJson(existing));
        }
        let facts: DatasetFacts;
        let blob: string;
        const format = q.kind === 'generator' ? undefined : await uploadFormat(temp.head, temp.path, 'file');
        if (!format) {
          // A generator (ONNX): opened once to check its interface and image shape.
          blobs.retype(temp, '.onnx');
          facts = await inspectGenerator(temp.path, name ?? 'upload');
          blob = blobs.commit(temp, '.onnx');
        } else if (format.ext === '.zip' || format.ext === '.tar') {
          // An image archive: unpacked (safely, within the limits) into a folder of images.
          const kind = format.ext === '.zip' ? 'zip' : 'tar';
          blob = await blobs.commitArchive(temp, (dest) => unpackArchive(kind, temp.path, dest, { maxEntries: o.maxArchiveEntries, maxBytes: o.maxArchiveBytes }));
          const images = listImages(blobs.absolute(blob)).files.length;
          if (images === 0) {
            blobs.remove(blob);
            throw new HttpError(422, 'invalid_dataset', `file: the ${kind} archive holds no images (${[...IMAGE_EXTENSIONS].join(' ')})`, 'file');
          }
          facts = { kind: 'images', count: images, dims: 2048, mode: null, model: null, modelSha256: null };
        } else {
          blobs.retype(temp, format.ext);
          facts = inspectUpload(temp.path, format, name ?? 'upload');
          onlyImages(facts.kind);
          blob = blobs.commit(temp, format.ext);
        }
        const row = store.insertDataset({
          id: `ds_${randomBytes(9).toString('base64url')}`,
          project: token.project,
          sha256: temp.sha256,
          blob,
          kind: facts.kind,
          count: facts.count,
          dims: facts.dims,
          mode: facts.kind === 'images' || facts.kind === 'generator' ? image.mode : facts.mode,
          model: facts.kind === 'images' || facts.kind === 'generator' ? image.model : facts.model,
          model_sha256: facts.modelSha256,
          name: name ?? null,
          public: isPublic ? 1 : 0,
          bytes: temp.bytes,
          status: facts.kind === 'images' ? 'processing' : 'ready',
        });
        store.audit(token.id, 'dataset.create', row.id);
        if (row.status === 'processing') runner.poke();
        return reply.code(201).send(datasetJson(row));
      } catch (err) {
        blobs.discard(temp);
        throw err;
      }
    },
  );

  app.get('/v1/datasets', { schema: { summary: "The project's datasets and the public ones", security: bearer, response: { 200: { type: 'object', properties: { datasets: { type: 'array', items: datasetSchema } } }, ...errors } } }, async (req) => {
    const token = tokenOf(req, 'read');
    return { datasets: store.datasets(token.project).map(datasetJson) };
  });

  const visibleDataset = (token: TokenRow, id: string): DatasetRow => {
    const d = store.visibleDataset(token.project, id);
    if (!d) throw new HttpError(404, 'not_found', `no dataset ${id}`, 'id');
    return d;
  };

  app.get('/v1/datasets/:id', { schema: { summary: 'One dataset', security: bearer, params: idParams, response: { 200: datasetSchema, ...errors } } }, async (req) => {
    const token = tokenOf(req, 'read');
    return datasetJson(visibleDataset(token, (req.params as { id: string }).id));
  });

  app.delete('/v1/datasets/:id', { schema: { summary: 'Delete a dataset (admin for another project\'s public one)', security: bearer, params: idParams, response: { 204: { type: 'null' }, ...errors } } }, async (req, reply) => {
    const token = tokenOf(req, 'write');
    const d = visibleDataset(token, (req.params as { id: string }).id);
    if (d.project !== token.project) requireScope(token, 'admin');
    if (d.status === 'processing') throw new HttpError(409, 'in_use', `dataset ${d.id} is still processing (its features are being extracted)`, 'id');
    if (store.datasetInUse(d.id)) throw new HttpError(409, 'in_use', `dataset ${d.id} is used by a queued or running evaluation`, 'id');
    const study = studies.usingDataset(d.id);
    if (study) throw new HttpError(409, 'in_use', `dataset ${d.id} is shown by study ${study.id} (${study.status}); close the study first`, 'id');
    store.deleteDataset(d.id);
    if (!store.blobInUse(d.blob)) blobs.remove(d.blob);
    store.audit(token.id, 'dataset.delete', d.id);
    return reply.code(204).send();
  });

  // ---- tokens (admin): the CLI's `genmetrics token` over HTTP, within the admin's project
  const tokenSchema = {
    type: 'object',
    properties: { id: { type: 'string' }, name: { type: 'string' }, scope: { type: 'string' }, project: { type: 'string' }, created: { type: 'string' }, revoked: { type: ['string', 'null'] }, token: { type: 'string' } },
  };
  const tokenJson = ({ hash: _hash, ...t }: TokenRow) => t;
  app.get('/v1/tokens', { schema: { summary: "The project's tokens (never the tokens themselves)", security: bearer, response: { 200: { type: 'object', properties: { tokens: { type: 'array', items: tokenSchema } } }, ...errors } } }, async (req) => {
    const token = tokenOf(req, 'admin');
    return { tokens: store.tokens().filter((t) => t.project === token.project).map(tokenJson) };
  });
  app.post(
    '/v1/tokens',
    {
      schema: {
        summary: 'Create a token in the admin\'s project (the token is in this answer only)',
        security: bearer,
        body: { type: 'object', properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, scope: { type: 'string', enum: ['read', 'write', 'admin'] } }, required: ['name', 'scope'], additionalProperties: false },
        response: { 201: tokenSchema, ...errors },
      },
    },
    async (req, reply) => {
      const admin = tokenOf(req, 'admin');
      const body = req.body as { name: string; scope: Scope };
      const { token, row } = createToken(store, { name: body.name, scope: body.scope, project: admin.project });
      store.audit(admin.id, 'token.create', row.id);
      return reply.code(201).send({ ...tokenJson(row), token });
    },
  );
  app.delete('/v1/tokens/:id', { schema: { summary: 'Revoke a token of the admin\'s project', security: bearer, params: idParams, response: { 204: { type: 'null' }, ...errors } } }, async (req, reply) => {
    const admin = tokenOf(req, 'admin');
    const id = (req.params as { id: string }).id;
    const t = store.tokens().find((x) => x.id === id && x.project === admin.project);
    if (!t || !store.revokeToken(id)) throw new HttpError(404, 'not_found', `no active token ${id}`, 'id');
    store.audit(admin.id, 'token.revoke', id);
    return reply.code(204).send();
  });

  // ---- evaluations
  app.post(
    '/v1/evaluations',
    {
      schema: {
        summary: "Evaluate a generated dataset against a reference: the CLI's command and options",
        security: bearer,
        body: {
          type: 'object',
          properties: {
            generated: { type: 'string', maxLength: 64 },
            reference: { type: 'string', maxLength: 64 },
            metrics: { type: 'array', items: { type: 'string', maxLength: 16 }, minItems: 1, maxItems: 16 },
            options: { type: 'object' },
            run: { type: 'string', maxLength: 200 },
            step: { type: 'integer', minimum: 0 },
          },
          required: ['generated', 'metrics'],
          additionalProperties: false,
        },
        response: { 200: evaluationSchema, 202: evaluationSchema, ...errors },
      },
    },
    async (req, reply) => {
      const token = tokenOf(req, 'write');
      const r = req.body as EvaluationRequest;
      const d = commandFor(r.metrics);
      const a = store.visibleDataset(token.project, r.generated);
      if (!a) throw new HttpError(404, 'not_found', `generated: no dataset ${r.generated}`, 'generated');
      const options = withMetricsOption(d, r.metrics, checkOptions(d, r.options, a.kind === 'generator'));
      const b = r.reference === undefined ? undefined : store.visibleDataset(token.project, r.reference);
      if (r.reference !== undefined && !b) throw new HttpError(404, 'not_found', `reference: no dataset ${r.reference}`, 'reference');
      checkDatasets(d, a, b, options);
      const key = requestKey(d, r, options);
      const existing = store.evaluationByKey(token.project, key);
      if (existing) return reply.code(200).send(evaluationJson(existing));
      if (store.queuedCount() >= o.maxQueue) {
        throw new HttpError(503, 'queue_full', `the queue is full (${o.maxQueue} evaluations waiting); retry later`, undefined, { 'Retry-After': '30' });
      }
      const row = store.insertEvaluation({
        id: newEvaluationId(),
        project: token.project,
        key,
        generated: a.id,
        reference: oneSet(d) ? '' : b!.id,
        metrics: JSON.stringify(r.metrics),
        command: d.name,
        options: JSON.stringify(options),
        run: r.run ?? null,
        step: r.step ?? null,
      });
      store.audit(token.id, 'evaluation.create', row.id);
      runner.poke();
      return reply.code(202).send(evaluationJson(store.evaluation(row.id)!));
    },
  );

  app.get(
    '/v1/evaluations',
    {
      schema: {
        summary: "The project's evaluations; with run, that run's by step (its FID curve)",
        security: bearer,
        querystring: { type: 'object', properties: { run: { type: 'string', maxLength: 200 } }, additionalProperties: false },
        response: { 200: { type: 'object', properties: { evaluations: { type: 'array', items: evaluationSchema } } }, ...errors },
      },
    },
    async (req) => {
      const token = tokenOf(req, 'read');
      return { evaluations: store.evaluations(token.project, (req.query as { run?: string }).run).map(evaluationJson) };
    },
  );

  const ownEvaluation = (token: TokenRow, id: string) => {
    const e = store.evaluation(id);
    if (!e || e.project !== token.project) throw new HttpError(404, 'not_found', `no evaluation ${id}`, 'id');
    return e;
  };

  app.get('/v1/evaluations/:id', { schema: { summary: 'State, progress, result and provenance of an evaluation', security: bearer, params: idParams, response: { 200: evaluationSchema, ...errors } } }, async (req) => {
    const token = tokenOf(req, 'read');
    return evaluationJson(ownEvaluation(token, (req.params as { id: string }).id));
  });

  app.get(
    '/v1/evaluations/:id/report',
    { schema: { summary: 'A finished evaluation as a self-contained HTML report (metrics, samples, provenance)', security: bearer, params: idParams, produces: ['text/html'], response: { 200: { type: 'string' }, ...errors } } },
    async (req, reply) => {
      const token = tokenOf(req, 'read');
      const e = ownEvaluation(token, (req.params as { id: string }).id);
      if (e.status !== 'done') throw new HttpError(409, 'not_done', `evaluation ${e.id} is ${e.status}: its report exists once it is done`, 'id');
      reply.type('text/html; charset=utf-8');
      return evaluationReport(e, store, blobs, o.maxPixels);
    },
  );

  app.delete('/v1/evaluations/:id', { schema: { summary: 'Cancel a queued or running evaluation', security: bearer, params: idParams, response: { 200: evaluationSchema, ...errors } } }, async (req) => {
    const token = tokenOf(req, 'write');
    const e = ownEvaluation(token, (req.params as { id: string }).id);
    if (store.cancel(e.id)) {
      store.audit(token.id, 'evaluation.cancel', e.id);
      runner.publish(store.evaluation(e.id)!);
    }
    return evaluationJson(store.evaluation(e.id)!);
  });

  app.get('/v1/evaluations/:id/events', { schema: { summary: 'Server-Sent Events: progress, then the final state', security: bearer, params: idParams } }, async (req, reply: FastifyReply) => {
    const token = tokenOf(req, 'read');
    const e = ownEvaluation(token, (req.params as { id: string }).id);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    let seq = 0;
    const send = (ev: EvaluationEvent) => res.write(`id: ${seq++}\nevent: ${ev.progress && ev.status === 'running' ? 'progress' : 'state'}\ndata: ${JSON.stringify(ev)}\n\n`);
    const terminal = (s: string) => s === 'done' || s === 'failed' || s === 'canceled';
    const listener = (ev: EvaluationEvent) => {
      send(ev);
      if (terminal(ev.status)) finish();
    };
    const finish = () => {
      runner.off(e.id, listener);
      res.end();
    };
    runner.on(e.id, listener);
    req.raw.on('close', () => runner.off(e.id, listener));
    // The state now (read after subscribing, so that nothing between is lost).
    const now = store.evaluation(e.id)!;
    listener({ id: now.id, status: now.status, progress: now.progress ? JSON.parse(now.progress) : undefined });
  });

  // ---- human studies (HYPE)
  await registerStudyRoutes(app, { store, studies, blobs, maxPixels: o.maxPixels, answerRateLimit: o.answerRateLimit });
}
