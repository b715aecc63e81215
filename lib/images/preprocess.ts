import { native } from '../native';

/**
 * How images become network input, each matching one reference tool:
 * - `legacy-pytorch` (pytorch-fid): RGB/255, torch bilinear (align_corners=False, no antialias), 2x-1;
 * - `legacy-tensorflow` (torch-fidelity, TTUR): TF1 bilinear, (x-128)/128;
 * - `clean` (clean-fid): PIL bicubic with antialias on float channels, clip 0..255, (x-128)/128.
 */
export type ResizeMode = 'legacy-pytorch' | 'legacy-tensorflow' | 'clean';
export const RESIZE_MODES: readonly ResizeMode[] = ['legacy-pytorch', 'legacy-tensorflow', 'clean'];

/** The resize filter of each mode, as a reviewer needs it named. */
export const RESIZE_FILTERS: Record<ResizeMode, string> = {
  'legacy-pytorch': "torch bilinear, align_corners=False, no antialias (pytorch-fid)",
  'legacy-tensorflow': 'TensorFlow 1 bilinear (torch-fidelity, TTUR)',
  clean: 'PIL bicubic with antialias on float channels (clean-fid)',
};

/** A decoded image: interleaved uint8 samples, 1 (L), 2 (LA), 3 (RGB) or 4 (RGBA) channels. */
export interface DecodedImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

export interface PreprocessOptions {
  mode: ResizeMode;
  /** Output side (default 299). */
  size?: number;
  /** false: keep the 0..255 scale of the resize (clean-fid's resizer output) instead of network input. */
  normalize?: boolean;
  /** Reuse this output (N x 3 x size x size). */
  out?: Float32Array;
  threads?: number;
}

/** Resizes images into one N x 3 x size x size float32 batch (native, off the JS thread). */
export async function preprocessImages(images: DecodedImage[], options: PreprocessOptions): Promise<Float32Array> {
  const size = options.size ?? 299;
  const need = images.length * 3 * size * size;
  const out = options.out && options.out.length >= need ? options.out.subarray(0, need) : new Float32Array(need);
  await native().preprocess(images, options.mode, size, options.normalize ?? true, out, options.threads ?? 0);
  return out;
}
