import type { Tf, Tfl } from './backend.js';

type Tensor = import('@tensorflow/tfjs-core').Tensor;

type DropoutLayer = new (args: { rate: number; seed: number; name?: string }) => import('@tensorflow/tfjs-layers').layers.Layer;

let registered: DropoutLayer | undefined;

/**
 * Dropout whose masks are fixed by a seed yet differ from batch to batch. tfjs's own Dropout layer
 * reuses one seed for every call, so a seeded dropout drops the same units on every batch; this
 * layer derives each call's seed from the base seed and a call counter instead.
 */
export function seededDropoutClass(tf: Tf, tfl: Tfl): DropoutLayer {
  if (registered) return registered;
  const cls = define(tf, tfl);
  tf.serialization.registerClass(cls as unknown as Parameters<typeof tf.serialization.registerClass>[0]);
  registered = cls;
  return cls;
}

function define(tf: Tf, tfl: Tfl): DropoutLayer & { className: string } {
  return class SeededDropout extends tfl.layers.Layer {
    static className = 'TributarySeededDropout';
    readonly rate: number;
    readonly seed: number;
    private calls = 0;

    constructor(args: { rate: number; seed: number; name?: string }) {
      super(args);
      this.rate = args.rate;
      this.seed = args.seed;
      this.supportsMasking = true;
    }

    override call(inputs: Tensor | Tensor[], kwargs: { training?: boolean }): Tensor {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      if (!kwargs.training || this.rate === 0) return tf.clone(x);
      return tf.dropout(x, this.rate, undefined, this.seed + this.calls++);
    }

    override getConfig() {
      return { ...super.getConfig(), rate: this.rate, seed: this.seed };
    }
  };
}
