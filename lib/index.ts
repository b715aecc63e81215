/**
 * genmetrics from Node. Three levels:
 * - commands: `run(name, inputs, options)` and one function per command (`fid`, `kid`, `prdc`,
 *   `is`, `lpips`, ...), each resolving to the object the CLI prints with --json;
 * - `metrics`: the pure functions for callers who hold arrays (features, statistics, logits);
 * - building blocks: .npy/.npz I/O, running moments, feature extraction, the model registry.
 */
export { run, fid, kid, prdc, all, is, lpips, diversity, features, stats, mergeStats, cluster, vae, encode, generate, grid, interpolate, traverse, ppl, truncation, memorization, report, params, disentanglement, probe, modelsList, modelsInstall } from './api';
export { commands, findCommand } from './commands/registry';
export type { CommandDescriptor, OptionSpec, InputSpec, Reporter, Progress } from './commands/descriptor';
export type { FidOptions, FidCommandResult } from './commands/fid';
export type { KidOptions, KidCommandResult } from './commands/kid';
export type { PrdcOptions, PrdcCommandResult } from './commands/prdc';
export type { AllOptions, AllCommandResult } from './commands/all';
export type { IsOptions, IsCommandResult } from './commands/is';
export type { LpipsCommonOptions as LpipsOptions, LpipsCommandResult } from './commands/lpips';
export type { ImageSimilarityOptions, ImageSimilarityResult } from './commands/ssim';
export type { DiversityOptions, DiversityCommandResult } from './commands/diversity';
export type { FeaturesOptions, FeaturesCommandResult } from './commands/features';
export type { StatsOptions, MergeOptions, StatsCommandResult } from './commands/stats';
export type { ClusterOptions, ClusterCommandResult } from './commands/cluster';
export type { VaeOptions, VaeCommandResult, EncodeOptions, EncodeCommandResult } from './commands/vae';
export type { ParamsOptions, ParamsCommandResult } from './commands/params';
export type { DisentanglementOptions, DisentanglementCommandResult } from './commands/disentanglement';
export type { ProbeOptions, ProbeCommandResult } from './commands/probe';
export type { ModelsInstallOptions, ModelsInstallResult, ModelsListResult } from './commands/models';
export type { CmmdOptions, CmmdCommandResult } from './commands/cmmd';
export { cmmd as cmmdDistance, type CmmdResult } from './metrics/cmmd';
export { EXTRACTORS, METADATA_KEYS, resolveExtractor, type ViewExtractor } from './network/extractor';
export { createServer, type Service, type ServiceOptions } from './service/server';
export * as defaults from './defaults';
export { GenmetricsError, OptionError, UsageError } from './errors';

export * as metrics from './metrics';
export { frechetDistance, inceptionScore, clusteringScores, featureDiversity } from './metrics';

export { readNpy, writeNpy, decodeNpy, encodeNpy, NpyRowReader, type NdArray, type DType } from './io/npy';
export { readNpz, writeNpz } from './io/npz';
export { RunningMoments } from './stats/moments';
export { readStatisticsFile, writeStatistics, writePartial, type Statistics, type PartialStatistics } from './stats/statistics';
export { loadStatistics, loadFeatures, loadFeaturePair, classifyInput, type InputProvenance, type InputKind, type LoadedFeatures, type SampleInput } from './inputs';
export { Generator, toImages, type GeneratorSpec, type GeneratorProvenance, type OutputRange, type Quantize } from './generator/generator';
export { LatentStream, LATENT_BLOCK, type LatentSpec, type Truncation, type TruncationMethod } from './generator/latents';
export { openGeneratorSource } from './generator/source';
export { featureMatrix, readFeatureMatrix, type FeatureMatrix } from './features';
export { readLogits, loadLogits } from './inception-logits';
export { computeFeatures, extractFeatureFiles, type Features, type FeatureFiles, type FeatureMeta, type FeatureOptions } from './network/inception';
export { preprocessImages, RESIZE_MODES, type ResizeMode, type DecodedImage } from './images/preprocess';
export { decodeImage } from './images/decode';
export { MODELS, resolveModel, cacheDir, modelDirs, type ModelSpec, type ResolvedModel } from './models/registry';
export type { Device } from './models/session';
export { kmeans, type KMeansOptions, type KMeansResult } from './stats/kmeans';
export { meanInterval, type MeanInterval } from './stats/interval';
export { adaptiveMaxPool } from './stats/adaptive-pool';
export { LegacyRandomState } from './random/mt19937';
export { readLabels, readIntegerTable } from './labels';
