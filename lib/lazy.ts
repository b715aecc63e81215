/**
 * A dependency loaded on first use. The heavy ones (sharp, protobufjs, fflate, @stdlib, …) cost
 * about 0.1 s to load together; a CLI command that never decodes an image or reads a zip should
 * not pay for them at start-up.
 */
export function lazyModule<T>(load: () => T): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load());
}
