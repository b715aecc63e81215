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
export { inceptionScoreFromFile } from './metrics/logits';
export { LegacyRandomState } from './random/mt19937';
