/** The pure metric functions: arrays (features, statistics, logits, labels) in, numbers out. */
export { frechetDistance, type FrechetOptions, type FrechetResult } from './fid';
export { inceptionScore, type InceptionScoreOptions, type InceptionScoreResult } from './inception-score';
export { kid, mmd2, mmd2FromSums, type KidOptions, type KidResult, type MmdResult, type MmdEstimator, type KernelOptions } from './kid';
export { prdc, TORCH_FIDELITY_PR, PRDC_DC, type PrdcOptions, type PrdcResult, type BallConvention } from './prdc';
export { featureDiversity, type DiversityOptions, type DiversityResult } from './diversity';
export { clusteringScores, contingency, mutualInfo, expectedMutualInfo, type ClusteringScores, type ClusteringScoreOptions, type AverageMethod } from './clustering';
export { codeFactorMutualInfo, histogramBins, mig, modularity, type CodeSample, type MutualInfoResult } from './disentanglement';
export { gridScores, gridSizes, sampledMig, modularityExplicitness, sap, continuousSapMatrix, betaVae, factorVae, rocAuc, type FactorGrid, type GridScores } from './grid';
