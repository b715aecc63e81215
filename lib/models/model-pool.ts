/**
 * Networks kept open across passes: a long-lived process (a scale-out worker running one extraction
 * shard after another) borrows a session instead of loading the model for every pass. Keyed by the
 * model file, its SHA-256, the device and the thread count; at most `max` kept, the least recently
 * used idle one released first.
 */
import { OnnxModel } from './onnx-model';
import type { ResolvedModel } from './registry';
import type { SessionOptions } from './session';

export interface LentModel {
  net: OnnxModel;
  /** Ends this pass's use (the pool keeps the session open); `released`: the pass released the
   *  session itself (a failed OnnxModel.expect does), so the pool forgets it. */
  giveBack(released?: boolean): void;
}

/** Where a pass gets its network, when not opening and releasing one itself. */
export interface ModelLender {
  borrow(model: ResolvedModel, options: SessionOptions): Promise<LentModel>;
}

export class ModelPool implements ModelLender {
  private readonly open = new Map<string, { net: Promise<OnnxModel>; users: number }>();
  /** Sessions opened so far (a test reads it: one per distinct key while the pool keeps them). */
  opened = 0;

  constructor(private readonly max = 2) {}

  async borrow(model: ResolvedModel, options: SessionOptions): Promise<LentModel> {
    const key = [model.path, model.sha256 ?? '', options.device ?? 'auto', options.threads ?? 0].join('\0');
    let e = this.open.get(key);
    if (e) this.open.delete(key);
    else {
      e = { net: OnnxModel.open(model, options), users: 0 };
      this.opened++;
    }
    this.open.set(key, e);
    e.users++;
    try {
      const net = await e.net;
      let returned = false;
      return {
        net,
        giveBack: (released = false) => {
          if (returned) return;
          returned = true;
          e!.users--;
          if (released && this.open.get(key) === e) this.open.delete(key);
          else void this.trim();
        },
      };
    } catch (err) {
      e.users--;
      if (this.open.get(key) === e) this.open.delete(key);
      throw err;
    }
  }

  /** Releases the least recently used idle sessions beyond `max`. */
  private async trim(): Promise<void> {
    for (const [key, e] of this.open) {
      if (this.open.size <= this.max) return;
      if (e.users > 0) continue;
      this.open.delete(key);
      await (await e.net).release();
    }
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map(async (e) => (await e.net.catch(() => undefined))?.release()));
  }
}
