/**
 * Every default of genmetrics, written once (as torch-fidelity's defaults.py): the command
 * descriptors show and apply them, and the library functions fall back to the same constants.
 * Each follows the reference named beside it.
 */

/** pytorch-fid: eps added to both covariance diagonals only when sqrtm(S1 S2) is not finite. */
export const FID_EPS = 1e-6;

/** Inception Score, torch-fidelity: 10 splits, rows shuffled by RandomState(2020). */
export const IS_SPLITS = 10;
export const IS_SEED = 2020;

/** KID, torch-fidelity: 100 subsets of 1000, polynomial kernel (x.y/D + 1)^3, seed 2020. */
export const KID_SUBSETS = 100;
export const KID_SUBSET_SIZE = 1000;
export const KID_SEED = 2020;
export const KID_KERNEL = 'poly';
export const KID_DEGREE = 3;
export const KID_COEF0 = 1;
export const KID_RBF_SIGMA = 10;
export const MMD_ESTIMATOR = 'unbiased';

/** CMMD, google-research cmmd/distance.py: Gaussian RBF with sigma 10, times 1000, on CLIP ViT-L/14@336px embeddings. */
export const CMMD_SIGMA = 10;
export const CMMD_SCALE = 1000;
export const CMMD_EXTRACTOR = 'clip-vit-l14';

/**
 * Arithmetic of the pairwise products (KID, MMD, P/R/D/C): float32 GEMMs at about twice the float64
 * rate (torch-fidelity computes KID in float32 too). KID stays within 1e-6 relative of float64;
 * P/R/D/C re-checks in float64 every decision within the float32 error bound, so it is exact.
 */
export const PAIRWISE_PRECISION = 'float32' as const;

/** Precision/recall: torch-fidelity (k = 3, d <= r); density/coverage: prdc (k = 5, d < r). */
export const PR_K = 3;
export const PR_TEST = '<=' as const;
export const DC_K = 5;
export const DC_TEST = '<' as const;

/** Image preprocessing and networks. */
export const RESIZE_MODE = 'legacy-tensorflow';
export const INCEPTION_MODEL = 'inception-v3-fid';
/** Feature extractor for image inputs (lib/network/extractor.ts): Inception unless asked. */
export const EXTRACTOR = 'inception';
export const LPIPS_MODEL = 'lpips-alex';
export const DEVICE = 'auto';
/** Images per Inception call: small batches keep the activations in cache on the CPU. */
export const INCEPTION_BATCH_CPU = 8;
export const INCEPTION_BATCH_CUDA = 64;
export const LPIPS_BATCH_CPU = 16;
export const LPIPS_BATCH_CUDA = 64;
/** Larger images are refused before decoding: PIL's decompression-bomb error threshold (2 x 89 478 485). */
export const MAX_IMAGE_PIXELS = 178_956_970;

/** Diversity: 1000 random distinct pairs, seed 2020 (torch-fidelity's seed). */
export const DIVERSITY_PAIRS = 1000;
export const DIVERSITY_SEED = 2020;
export const DIVERSITY_SPACE_IMAGES = 'lpips';

/** k-means, scikit-learn's KMeans: 10 restarts (n_init), 300 iterations, tol 1e-4, seed 0. */
export const KMEANS_RESTARTS = 10;
export const KMEANS_MAX_ITER = 300;
export const KMEANS_TOL = 1e-4;
export const KMEANS_SEED = 0;
/** Mini-batch k-means, scikit-learn 1.2's MiniBatchKMeans: batches of 1024, k-means++ on 3 batches' worth of
 *  rows, 100 epochs at most, stop after 10 batches without a lower smoothed inertia, no centre-shift
 *  tolerance, reassignment of centres under 1% of the largest count; n_init 3 (the 1.2 default). */
export const MINIBATCH_KMEANS_BATCH = 1024;
export const MINIBATCH_KMEANS_RESTARTS = 3;
export const MINIBATCH_KMEANS_MAX_ITER = 100;
export const MINIBATCH_KMEANS_MAX_NO_IMPROVEMENT = 10;
export const MINIBATCH_KMEANS_TOL = 0;
export const MINIBATCH_KMEANS_REASSIGNMENT_RATIO = 0.01;
/** PRD, msmsajjadi prd_score.py: 20 clusters, 1001 angles, 10 runs, each MiniBatchKMeans(20, n_init=10);
 *  seed 0 (run r uses seed + r); 'lloyd' selects full k-means instead. */
export const PRD_CLUSTERS = 20;
export const PRD_ANGLES = 1001;
export const PRD_RUNS = 10;
export const PRD_SEED = 0;
export const PRD_CLUSTERING = 'minibatch' as const;
export const PRD_RESTARTS = 10;
/** Clustering scores, scikit-learn: V-measure beta 1, arithmetic NMI/AMI normaliser. */
export const V_MEASURE_BETA = 1;
export const MI_AVERAGE = 'arithmetic';

/** VAE: 5000 importance samples (Burda et al. use 5000), seed 0, decoder rows per call. */
export const VAE_K = 5000;
export const VAE_SEED = 0;
export const VAE_BATCH = 8192;
export const VAE_GAUSSIAN_LOGVAR = 0;
export const ENCODE_BATCH = 1024;
export const IMAGE_SCALE = 'unit';

/** Disentanglement: disentanglement_lib's 20 histogram bins and RandomState(0). */
export const DISENTANGLEMENT_BINS = 20;
export const DISENTANGLEMENT_SEED = 0;
/** SAP: factors are discrete (classifier scores) unless told otherwise, as disentanglement_lib's gin configs. */
export const SAP_CONTINUOUS_FACTORS = false;

/** Linear probe: 4x4 pooling (DCGAN), LinearSVC's C = 1, tol 1e-4, iteration cap, CPU. */
export const PROBE_POOL = 4;
export const PROBE_C = 1;
export const PROBE_TOL = 1e-4;
export const PROBE_MAX_ITER = 10000;
export const PROBE_SEED = 0;
export const PROBE_BATCH = 256;
export const PROBE_DEVICE = 'cpu';

/** Generators: 50 000 samples (the usual FID sample count), latent seed 2020 (torch-fidelity's
 *  rng_seed), truncation by scaling, StyleGAN's rounding of float images to uint8. */
export const GENERATOR_SAMPLES = 50_000;
export const GENERATOR_SEED = 2020;
export const TRUNCATION_METHOD = 'scale';
export const QUANTIZE = 'round';

/** Perceptual path length, torch-fidelity's metric_ppl defaults: eps 1e-4, lerp in z, LPIPS-VGG16 on
 *  uint8 images resized to 64, distances outside the 1st-99th percentiles dropped, batches of 64. */
export const PPL_EPSILON = 1e-4;
export const PPL_INTERPOLATION = 'lerp';
export const PPL_DTYPE = 'uint8';
export const PPL_RESIZE = 64;
export const PPL_LOWER_PERCENTILE = 1;
export const PPL_UPPER_PERCENTILE = 99;
export const PPL_BATCH = 64;
export const PPL_LPIPS_MODEL = 'lpips-vgg';
/** Samples per psi of a truncation sweep (ten sweeps of 50 000 would take a CPU most of a day). */
export const TRUNCATION_SAMPLES = 10_000;

/** Parzen window (goodfeli/adversarial parzen_ll.py): sigma chosen on a validation set from
 *  np.logspace(sigma_start, sigma_end, cross_val). */
export const PARZEN_SIGMA_START = -1;
export const PARZEN_SIGMA_END = 0;
export const PARZEN_SIGMA_COUNT = 10;
/** C_T (Meehan et al. 2020, dgm-eval): PCA to 64 dims, 3 k-means cells, tau = 20 / m. */
export const CT_COMPONENTS = 64;
export const CT_CELLS = 3;
export const CT_TAU_SAMPLES = 20;
export const CT_SEED = 0;
/** Birthday-paradox test (Arora & Zhang 2018): batches of 400 (their CelebA runs), 10 batches, the
 *  20 closest pairs of each, duplicates under 1/3 of the median nearest-neighbour distance. */
export const BIRTHDAY_BATCH = 400;
export const BIRTHDAY_BATCHES = 10;
export const BIRTHDAY_PAIRS = 20;
export const BIRTHDAY_RATIO = 1 / 3;
