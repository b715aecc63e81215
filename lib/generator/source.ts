/**
 * A generator's samples as an image source: the feature pipeline asks for batches in order, each
 * drawn (codes from the seeded stream), generated and quantised to uint8 on the way to the
 * network, never written to disk. Batch boundaries do not change the samples (see latents.ts).
 */
import { createHash } from 'crypto';
import { GenmetricsError } from '../errors';
import type { ImageSource } from '../images/sources';
import { Generator, type GeneratorRunOptions, type GeneratorSpec } from './generator';
import type { LatentStream } from './latents';

export interface GeneratorSource extends ImageSource {
  generator: Generator;
}

export async function openGeneratorSource(spec: GeneratorSpec, options: GeneratorRunOptions = {}): Promise<GeneratorSource> {
  const generator = await Generator.open(spec, options);
  let stream: LatentStream = generator.latents();
  const p = generator.provenance();
  return {
    kind: 'generator',
    path: spec.generator,
    count: spec.samples,
    generator,
    name: (i) => `${spec.generator}[sample ${i}]`,
    // Everything that decides the samples (not the device or the batch size).
    fingerprint: () => createHash('sha256').update(JSON.stringify({ v: 1, generator: p.sha256, mapping: p.mapping?.sha256, samples: p.samples, seed: p.seed, truncation: p.truncation, range: p.range, quantize: p.quantize, classes: p.classes })).digest('hex'),
    load: () => Promise.reject(new GenmetricsError('a generator source is read in batches, in order')),
    async loadBatch(start, count) {
      // A new pass (e.g. a second run over the source) starts the stream again.
      if (start === 0 && stream.position !== 0) stream = generator.latents();
      if (start !== stream.position) throw new GenmetricsError(`${spec.generator}: samples are drawn in order; asked for ${start}, next is ${stream.position}`);
      return generator.images(stream.next(count));
    },
    close() {
      void generator.release();
    },
  };
}
