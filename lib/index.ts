export { GenmetricsError } from './errors';
export { readNpy, writeNpy, decodeNpy, encodeNpy, NpyRowReader, type NdArray, type DType } from './io/npy';
export { readNpz, writeNpz } from './io/npz';
export { RunningMoments } from './stats/moments';
export { momentsFromFeatureFile } from './stats/features';
export { mergeInputs, momentsFromInput } from './stats/merge';
export {
  readStatisticsFile,
  writeStatistics,
  writePartial,
  type Statistics,
  type PartialStatistics,
} from './stats/statistics';
export { loadStatistics, type InputProvenance, type LoadOptions } from './inputs';
export { fid, frechetDistance, type FidResult, type FrechetResult, type FrechetOptions } from './metrics/fid';
export { native } from './native';
export {
  inceptionScore,
  type InceptionScoreOptions,
  type InceptionScoreResult,
} from './metrics/inception-score';
export { inceptionScoreFromFile, inceptionScoreOf, type InputInceptionScore } from './metrics/logits';
export {
  computeFeatures,
  extractFeatureFiles,
  type Features,
  type FeatureFiles,
  type FeatureMeta,
  type FeatureOptions,
} from './network/inception';
export { preprocessImages, parseMode, RESIZE_MODES, type ResizeMode, type DecodedImage, type PreprocessOptions } from './images/preprocess';
export { decodeImage } from './images/decode';
export { openImageSource, type ImageSource } from './images/sources';
export { MODELS, DEFAULT_INCEPTION, DEFAULT_LPIPS, resolveModel, cacheDir, modelDirs, type ModelSpec, type ResolvedModel, type WeightFile } from './models/registry';
export { type Device } from './models/session';
export { classifyInput, type InputKind } from './inputs';
export { LegacyRandomState } from './random/mt19937';
export { featureMatrix, readFeatureMatrix, type FeatureMatrix } from './features';
export { loadFeatures, loadFeaturePair, type LoadedFeatures } from './inputs';
export { kid, mmd2, mmd2FromSums, type KidOptions, type KidResult, type MmdResult, type MmdEstimator, type KernelOptions } from './metrics/kid';
export { prdc, TORCH_FIDELITY_PR, PRDC_DC, type PrdcOptions, type PrdcResult, type BallConvention } from './metrics/prdc';
export { allMetrics, type AllOptions, type AllResult } from './metrics/all';
export { lpips, diversity, featureDiversity, type LpipsOptions, type LpipsResult, type DiversityOptions, type DiversityResult } from './metrics/lpips';
export { LpipsNetwork, type LpipsNetworkOptions } from './network/lpips';
export { pairInputs, type ImagePair } from './images/pairing';
export { randomPairs, type Pairs } from './random/pairs';
export { meanInterval, type MeanInterval } from './stats/interval';
export { clusteringScores, contingency, mutualInfo, expectedMutualInfo, type ClusteringScores, type ClusteringScoreOptions, type AverageMethod } from './metrics/clustering';
export { kmeans, type KMeansOptions, type KMeansResult } from './metrics/kmeans';
export { readLabels, readIntegerTable } from './labels';
export { evaluateVae, type VaeData, type VaeOptions, type VaeResult } from './metrics/vae';
export { readVaeData } from './vae/data';
export { modelParams, DEFAULT_BUFFER_PATTERN, type ParamReport, type TensorInfo } from './models/params';
export { codeFactorMutualInfo, histogramBins, mig, modularity, type CodeSample, type MutualInfoResult } from './metrics/disentanglement';
export { linearProbe, probeFeatures, adaptiveMaxPool, type ProbeData, type ProbeOptions, type ProbeResult } from './metrics/probe';
export { withOutputs, decodeOnnx } from './models/onnx-proto';
export { gridScores, gridSizes, sampledMig, modularityExplicitness, sap, betaVae, factorVae, rocAuc, type FactorGrid, type GridScores } from './metrics/grid';
export { loadModelInput } from './vae/data';
export { readImageData, modelItemShape, type ImageScaling } from './vae/images';
export { encodeMeans } from './vae/encode';
