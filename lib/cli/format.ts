/** The human-readable lines of each command's result (the --json output is the result itself). */
/* eslint-disable @typescript-eslint/no-explicit-any */
type Result = any;

function interval(m: { mean: number; std: number | null; ci95: [number, number] | null; n: number }): string {
  if (!m.ci95 || m.std === null) return `${m.mean} (one pair: no interval)`;
  return `${m.mean} ± ${(m.ci95[1] - m.mean).toPrecision(3)} (95% CI ${m.ci95[0]} .. ${m.ci95[1]}; std ${m.std}, ${m.n} pairs)`;
}

const kidLine = (r: Result) => `KID: ${r.kid.mean} ± ${r.kid.std} (${r.subsets} subsets of ${r.subset_size}, ${r.kernel.kernel} kernel, seed ${r.seed})`;

function prdcLines(r: Result): string[] {
  const pr = r.conventions.precision_recall;
  const dc = r.conventions.density_coverage;
  return [
    `Precision: ${r.precision}  (k=${pr.k}, d ${pr.test} r)`,
    `Recall:    ${r.recall}  (k=${pr.k}, d ${pr.test} r)`,
    `F-score:   ${r.f_score}`,
    `Density:   ${r.density}  (k=${dc.k}, d ${dc.test} r)`,
    `Coverage:  ${r.coverage}  (k=${dc.k}, d ${dc.test} r)`,
  ];
}

/** "10 splits of 400 samples", or "10 splits of 399-400 samples" when N is not a multiple. */
function splitSizes(count: number, splits: number): string {
  const lo = Math.floor(count / splits);
  const hi = Math.ceil(count / splits);
  return `${splits} split${splits === 1 ? '' : 's'} of ${lo === hi ? lo : `${lo}-${hi}`} samples`;
}

const fmtInt = (n: number) => n.toLocaleString('en-US');
const f6 = (v: number | null) => (v === null ? 'n/a' : v.toFixed(6));

function similarityLine(label: string, mean: number, r: Result, note = ''): string {
  const p = r.parameters;
  const window = p.window ? `, ${p.window} ${p.size}x${p.size} window` : '';
  return `${label} (${r.convention}${window}${note}, ${r.pairs} pair${r.pairs === 1 ? '' : 's'}): ${interval({ mean, std: r.std, ci95: r.ci95, n: r.pairs })}`;
}

const FORMATS: Record<string, (r: Result) => string[]> = {
  fid: (r) => [`FID: ${r.fid}`],
  is: (r) => [
    `Inception Score: ${r.inception_score.mean} ± ${r.inception_score.std} (${splitSizes(r.count, r.splits)}, ${r.count} in all${r.shuffle ? `, shuffled with seed ${r.seed}` : ''})`,
  ],
  kid: (r) =>
    r.mmd2 !== undefined
      ? [`MMD² (${r.estimator}, full sets of ${r.sizes[0]} and ${r.sizes[1]}, ${r.kernel.kernel} kernel): ${r.mmd2}`]
      : [kidLine(r)],
  prdc: prdcLines,
  all: (r) => [
    ...(r.fid !== undefined ? [`FID: ${r.fid}`] : []),
    ...(r.kid ? [kidLine(r)] : []),
    ...(r.conventions ? prdcLines(r) : []),
    ...(r.inception_score ? [`Inception Score (A): ${r.inception_score.mean} ± ${r.inception_score.std} (${r.inception_score.splits} splits)`] : []),
    // The other measures, each in its own command's words.
    ...(r.metrics ?? []).filter((m: string) => r[m] !== undefined && typeof r[m] === 'object' && m in FORMATS && !['fid', 'kid', 'prdc', 'is'].includes(m)).flatMap((m: string) => FORMATS[m](r[m])),
  ],
  stats: (r) => {
    const p = r.inputs[0];
    if (typeof p === 'object' && p.kind === 'images') return [`wrote statistics of ${r.count} images x ${r.dims} dims (${p.preprocessing.mode}) to ${r.output}`];
    return [`wrote ${r.kind === 'partial-statistics' ? 'partial statistics' : 'statistics'} of ${r.count} samples x ${r.dims} dims to ${r.output}`];
  },
  generate: (r) => [`wrote ${r.files} samples of ${r.generator.path} (seed ${r.generator.seed}${r.generator.truncation ? `, truncation ${r.generator.truncation.method} ${r.generator.truncation.psi}` : ''}) to ${r.output}`],
  grid: (r) => [`wrote a ${r.rows} x ${r.cols} grid of ${r.images} images (${r.width} x ${r.height} px) from ${r.source.path} to ${r.output}`],
  interpolate: (r) => [`wrote ${r.rows} ${r.interpolation} interpolation${r.rows === 1 ? '' : 's'} of ${r.steps} steps (seeds ${r.seeds.join(', ')}) to ${r.output}`],
  traverse: (r) => [`wrote traversals of ${r.dims.length} dimension${r.dims.length === 1 ? '' : 's'} over ${r.values[0]} .. ${r.values[r.values.length - 1]} to ${r.output}`],
  ppl: (r) => [
    `perceptual path length: ${r.ppl.mean} ± ${r.ppl.std} (std over ${r.kept} of ${r.samples} samples${r.percentiles ? `, ${r.percentiles[0]}th-${r.percentiles[1]}th percentiles kept` : ''}; eps ${r.epsilon}, ${r.interpolation}, ${r.lpips.name} at ${r.resize} px on ${r.dtype} images)`,
  ],
  truncation: (r) => [
    `truncation sweep (${r.method}, ${r.samples} samples per psi) of ${r.generator.path} against ${r.reference.path}:`,
    '   psi         FID         KID   precision    recall   density  coverage',
    ...r.rows.map((x: Result) => [x.psi.toFixed(3).padStart(6), x.fid.toPrecision(6).padStart(11), x.kid.mean.toPrecision(4).padStart(11), ...[x.precision, x.recall, x.density, x.coverage].map((v: number) => v.toFixed(4).padStart(9))].join(' ')),
    ...r.plots.map((p: string) => `chart: ${p}`),
  ],
  memorization: (r) => [
    `copy threshold: ${r.threshold} (${r.calibration.how}: median ${r.calibration.median})`,
    `copies: ${r.copies} of ${r.samples.length} generated samples (${(100 * r.copy_rate).toFixed(2)}%) have a training sample closer than the threshold (${r.space} space)`,
    ...[...r.samples]
      .sort((p: Result, q: Result) => p.nearest[0].distance - q.nearest[0].distance)
      .slice(0, 5)
      .map((s: Result) => `  ${s.copy ? 'copy ' : 'close'} ${s.path} ~ ${s.nearest[0].path} (distance ${s.nearest[0].distance.toPrecision(6)})`),
    ...(r.gallery ? [`gallery: ${r.gallery}`] : []),
  ],
  report: (r) => [`wrote the report (${r.sections.join(', ')}) to ${r.output}`],
  vendi: (r) => [`Vendi score (${r.kernel} kernel, ${r.count} samples${r.per_class ? `, mean over ${Object.keys(r.per_class).length} classes` : ''}): ${Object.entries(r.vendi).map(([q, v]) => `${q} ${v}`).join(', ')}`],
  mifid: (r) => [`MiFID: ${r.mifid} (FID ${r.fid}; memorisation distance ${r.memorization_distance}, penalty ${r.penalty ? 'on' : `off: >= ${r.cosine_distance_eps}`})`],
  authpct: (r) => [`authenticity: ${r.authpct}% of the generated samples`],
  c2st: (r) => [`${r.k}-NN two-sample test accuracy: ${r.accuracy} (real ${r.accuracy_real}, generated ${r.accuracy_fake}; 0.5 = indistinguishable)`],
  'fd-inf': (r) => [`FD∞: ${r.fd_infinity} (FD at N = ${r.sizes[0]} … ${r.sizes[r.sizes.length - 1]}: ${r.fd_n[0].toPrecision(6)} … ${r.fd_n[r.fd_n.length - 1].toPrecision(6)}; subsets ${r.seed === null ? 'given' : `seed ${r.seed}`})`],
  ndb: (r) => [`NDB: ${r.ndb} of ${r.bins} bins differ (NDB/K ${r.ndb_over_k}), JS divergence ${r.js} nats (bins ${r.seed === null ? 'given' : `seed ${r.seed}`})`],
  prd: (r) => [`PRD (${r.clusters} clusters, ${r.clustering} k-means, ${r.runs} runs, seed ${r.seed}): F_8 ${r.f8} (recall), F_1/8 ${r.f1_8} (precision)`, ...r.plots.map((p: string) => `chart: ${p}`)],
  realism: (r) => [`realism (${r.convention}, k = ${r.k}): mean ${r.mean}, median ${r.median}${r.pruned_manifold_precision === null ? '' : `; pruned-manifold precision ${r.pruned_manifold_precision}`}`],
  cmmd: (r) => [`CMMD: ${r.cmmd} (RBF sigma ${r.convention.kernel.sigma}, x${r.convention.scale}, biased MMD² of ${r.sizes[0]} and ${r.sizes[1]} samples${r.convention.embedding ? `; ${r.convention.embedding.split(':')[0]} embeddings` : ''})`],
  birthday: (r) => [
    `birthday test (${r.batches} batches of s = ${r.batch_size}, ${r.space} space): ${r.duplicate_batches} hold a pair closer than ${r.threshold.toPrecision(6)} (${r.threshold_how === 'given' ? 'given' : 'ratio of the median nearest-neighbour distance'})`,
    r.birthday !== null ? `support size about s² = ${r.birthday}` : `fewer than half the batches hold a duplicate: the support is probably larger than s² = ${r.support_at_least}`,
    ...[...r.pairs].sort((p: Result, q: Result) => p.distance - q.distance).slice(0, 5).map((p: Result) => `  ${p.duplicate ? 'duplicate' : 'close    '} ${p.a.path} ~ ${p.b.path} (distance ${p.distance.toPrecision(6)}, batch ${p.batch})`),
    ...(r.gallery ? [`gallery: ${r.gallery}`] : []),
  ],
  parzen: (r) => [
    `Parzen-window log-likelihood: ${r.parzen} ± ${r.se} (s.e.) nats per sample, sigma ${r.sigma} (${r.sigma_from === 'validation' ? `best of ${r.sigmas.length} on the validation set` : 'given'}; ${r.samples} windows, ${r.test_count} test samples, ${r.dims} dims)`,
  ],
  ct: (r) => [
    `C_T: ${r.ct} (<< 0: copying, >> 0: underfitting; ${r.cells.length} cells${r.seed === null ? ' given' : `, k-means seed ${r.seed}`}, projection ${r.projection.kind} to ${r.projection.dims} dims)`,
    ...r.cells.map((c: Result, i: number) => `  cell ${i}: Z_U ${c.zu} (train ${c.train}, test ${c.test}, generated ${c.gen})${c.included ? '' : ` left out: generated share <= tau ${r.tau}`}`),
  ],
  features: (r) => [`wrote ${r.count} x ${r.dims} pool3 features (${r.mode}, ${r.model.name}) to ${r.output}${r.logits ? ` and logits to ${r.logits}` : ''}`],
  lpips: (r) => [`LPIPS (${r.model.name}, ${r.pairs} pair${r.pairs === 1 ? '' : 's'}${r.resize ? `, resized to ${r.resize}` : ''}): ${interval(r.lpips)}`],
  ssim: (r) => [similarityLine('SSIM', r.ssim, r)],
  'ms-ssim': (r) => [similarityLine('MS-SSIM', r.ms_ssim, r, `, ${r.parameters.scales} scales, normalize ${r.parameters.normalize}`)],
  psnr: (r) => [similarityLine('PSNR in dB', r.psnr, r)],
  hype: (r) => [
    r.mode === 'time'
      ? `HYPE-time: ${r.hype.score} ms, 95% CI [${r.hype.ci95.join(', ')}] (mean staircase threshold of ${r.hype.n_raters} raters who answered every image; ${r.resamples} bootstrap resamples over raters, seed ${r.seed})`
      : `HYPE∞: ${r.hype.score}% errors, 95% CI [${r.hype.ci95.join(', ')}] (${r.hype.n_answers} answers of ${r.hype.n_raters} raters; ${r.resamples} bootstrap resamples over raters, seed ${r.seed})`,
    `fakes judged real: ${r.fake_judged_real ?? '-'}%, reals judged fake: ${r.real_judged_fake ?? '-'}%${r.tutorial_rows ? ` (${r.tutorial_rows} practice rows left out)` : ''}`,
  ],
  diversity: (r) => {
    const what = r.space === 'lpips' ? `LPIPS (${r.model?.name})` : 'Euclidean distance of Inception features';
    return [`diversity: mean ${what} over ${r.pairs} random pairs (seed ${r.seed}): ${interval(r.diversity)}`];
  },
  cluster: (r) => [
    ...(r.kmeans ? [`k-means: k = ${r.kmeans.k}, inertia ${r.kmeans.inertia}, best of ${r.kmeans.restarts} restarts (seed ${r.kmeans.seed})`] : []),
    `homogeneity ${f6(r.homogeneity)}  completeness ${f6(r.completeness)}  V-measure ${f6(r.v_measure)}${r.beta === 1 ? '' : ` (beta ${r.beta})`}`,
    `ARI ${f6(r.adjusted_rand)}  NMI ${f6(r.normalized_mutual_info)}  AMI ${f6(r.adjusted_mutual_info)}  (${r.average}; ${r.n} samples, ${r.classes} classes, ${r.clusters} clusters)`,
  ],
  vae: (r) => [
    `NLL (IWAE, K = ${r.k}): ${r.nll} nats (± ${r.sem.log_px.toPrecision(3)} s.e. over ${r.points} points), ${r.bits_per_dim} bits/dim`,
    `ELBO ${r.elbo} (± ${r.sem.elbo.toPrecision(3)}) = reconstruction E_q[log p(x|z)] ${r.reconstruction} (K samples) - KL ${r.kl} (closed form)`,
    `cubature (2L+1 points; exact for linear-Gaussian decoders): ELBO ${r.elbo_cubature}, reconstruction ${r.reconstruction_cubature}`,
    `reconstruction loss at the posterior mean (${r.likelihood === 'bernoulli' ? 'binary cross-entropy' : 'Gaussian negative log-likelihood'}): sum over ${r.dims} dims ${r.reconstruction_loss_at_mean.sum_over_dims}, mean over dims ${r.reconstruction_loss_at_mean.mean_over_dims}`,
  ],
  encode: (r) => [`wrote ${r.output}: ${r.rows} x ${r.dims} codes (the encoder's means)`],
  params: (r) => [
    `${r.file} (${r.format}): ${fmtInt(r.total)} elements in ${Object.keys(r.buffers).length + Object.keys(r.per_tensor_learnable).length} tensors: ${fmtInt(r.learnable)} learnable, ${fmtInt(r.buffer_elements)} in buffers`,
    `bytes by dtype: ${Object.entries(r.bytes_by_dtype).map(([k, v]) => `${k} ${fmtInt(v as number)}`).join(', ')}`,
    ...Object.entries(r.layers).map(([k, v]) => `  ${k.padEnd(40)} ${fmtInt(v as number).padStart(14)}`),
    ...(r.tensors ?? []).map(
      (t: Result) => `  ${t.name.padEnd(40)} ${t.dtype.padEnd(8)} (${t.shape.join(', ')}) ${fmtInt(t.elements)}${t.kind === 'buffer' ? ' [buffer]' : ''}`,
    ),
  ],
  disentanglement: (r) =>
    r.factor_sizes
      ? [
          `grid ${r.factor_sizes.join(' x ')}, ${r.code_dims} code dims, seed ${r.seed}:`,
          `  MIG ${r.mig}  modularity ${r.modularity}  explicitness ${r.explicitness_test} (train ${r.explicitness_train})  SAP ${r.sap}`,
          `  Beta-VAE ${r.beta_vae_eval} (train ${r.beta_vae_train})  FactorVAE ${r.factor_vae_eval} (train ${r.factor_vae_train}, ${r.factor_vae_active_dims} active dims)`,
          r.dci
            ? `  DCI disentanglement ${r.dci.disentanglement}  completeness ${r.dci.completeness}  informativeness ${r.dci.informativeness_test} (train ${r.dci.informativeness_train})`
            : '  DCI skipped (option dci off)',
          `  IRS ${r.irs.avg_score} (${r.irs.active_dims.length} active dims)`,
        ]
      : [
          `MIG ${r.mig}  modularity ${r.modularity}  (${r.samples} samples, ${r.code_dims} code dims, ${r.factors} factors, ${r.bins} bins)`,
          'mutual information (nats), codes x factors:',
          ...r.mutual_info.map((row: number[], i: number) => `  z${i}: ${row.map((v) => v.toFixed(4)).join('  ')}`),
        ],
  probe: (r) => [
    `linear L2-SVM on ${r.feature_dim} pooled features of ${r.layers.join(', ')}: train accuracy ${r.train_accuracy}, test accuracy ${r.test_accuracy} (${r.classes} classes)`,
  ],
};
FORMATS['stats merge'] = FORMATS.stats;
FORMATS['models list'] = (r) => [
  ...r.models.map((m: Result) => `${m.name.padEnd(20)} ${m.installed ? `${m.path}  sha256 ${m.sha256} (${m.verified})` : 'not installed'}`),
  `searched: ${r.searched.join(', ')}`,
];
FORMATS['models install'] = (r) => [`installed ${r.name}: ${r.path}`, `sha256 ${r.sha256}`, ...r.sources.map((s: Result) => `from ${s.file} (sha256 ${s.sha256}${s.downloaded ? ', downloaded' : ''}${s.pinned ? '' : '; not pinned: its publisher states no SHA-256, compare this one with a trusted copy'})`)];

export function humanLines(command: string, result: Result): string[] {
  return FORMATS[command](result);
}
