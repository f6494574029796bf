import {
  type Batch,
  type DataRecord,
  type Dataset,
  type Estimator,
  type Model,
  type ModelState,
  STAGE_PARAMS,
  type StageContext,
  type Static,
  TributaryError,
  Type,
  defineStage,
  inject,
  injectable,
  stageSpec,
} from '@tributary/core';
import { fitNetwork, loadNetworkState } from './fit-network.js';
import { networkParams } from './network.js';
import { NetworkModel, type NetworkState } from './network-model.js';
import { collectTrainingSet } from './training-set.js';

const Label = Type.Union([Type.Number(), Type.String(), Type.Boolean()]);

export const DenseClassifierParams = Type.Object(
  {
    ...networkParams,
    /** Binary (two classes): the probability of the second class. More classes: the array of class probabilities. */
    output: Type.String({ default: 'score' }),
    /** The predicted class. */
    prediction: Type.String({ default: 'prediction' }),
    /** The classes in order; by default the sorted distinct labels of the training data. The second of two is the positive class. */
    classes: Type.Optional(Type.Array(Label, { minItems: 2, uniqueItems: true })),
    /** Binary only: predict the positive class when its probability is at least this. */
    threshold: Type.Number({ minimum: 0, maximum: 1, default: 0.5 }),
    /** Loss weight per class: `balanced` (n / (k × n_class)) or a map from class to weight. */
    classWeight: Type.Optional(Type.Union([Type.Literal('balanced'), Type.Record(Type.String(), Type.Number({ exclusiveMinimum: 0 }))])),
  },
  { additionalProperties: false },
);
export type DenseClassifierParams = Static<typeof DenseClassifierParams>;
type Label = number | string | boolean;

function sortClasses(labels: Iterable<Label>): Label[] {
  return [...new Set(labels)].sort((a, b) =>
    typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0,
  );
}

class DenseClassifierModel extends NetworkModel implements Model {
  readonly kind = 'tfjs:dense-classifier';

  constructor(
    state: NetworkState,
    private readonly params: DenseClassifierParams,
    readonly classes: readonly Label[],
    private readonly meta: Record<string, unknown>,
  ) {
    super(state, params.input);
  }

  transform(batch: Batch, ctx: StageContext): Batch {
    const { records, values, units } = this.outputs(batch, ctx);
    const { output, prediction, threshold } = this.params;
    return records.map((record, r) => {
      if (units === 1) {
        const score = values[r]!;
        return { ...record, [output]: score, [prediction]: this.classes[score >= threshold ? 1 : 0] };
      }
      const probabilities = Array.from(values.subarray(r * units, (r + 1) * units));
      let best = 0;
      for (let k = 1; k < units; k++) if (probabilities[k]! > probabilities[best]!) best = k;
      return { ...record, [output]: probabilities, [prediction]: this.classes[best] };
    });
  }

  async save(): Promise<ModelState> {
    return { meta: { ...this.meta, classes: [...this.classes] } as ModelState['meta'], files: await this.saveNetwork() };
  }
}

/**
 * A dense neural network classifier (TensorFlow.js): hidden layers, dropout, Adam/SGD, sigmoid +
 * binary cross-entropy for two classes or softmax + categorical cross-entropy for more, validation
 * hold-out, early stopping, class weights, seeded initialisation and shuffling. Trains on batches
 * densified one at a time, so sparse TF-IDF input never becomes a dense matrix of the whole corpus.
 */
@injectable()
export class DenseClassifier implements Estimator {
  readonly kind = 'tfjs:dense-classifier';

  constructor(@inject(STAGE_PARAMS) private readonly params: DenseClassifierParams) {}

  async fit(data: Dataset<DataRecord>, ctx: StageContext): Promise<Model> {
    const p = this.params;
    const allowed = p.classes ? new Set<unknown>(p.classes) : undefined;
    const set = await collectTrainingSet(data, p.input, p.label, this.kind, ctx, (value) => {
      if (!(typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)))) {
        return `is not a class label (a number, string or boolean), got ${value === null ? 'null' : typeof value}`;
      }
      if (allowed && !allowed.has(value)) return `holds ${JSON.stringify(value)}, which is not one of the classes ${JSON.stringify(p.classes)}`;
      return undefined;
    });
    const types = new Set(set.labels.map((l) => typeof l));
    if (!p.classes && types.size > 1) {
      throw new TributaryError('INVALID_DATA', {
        stage: this.kind,
        message: `The labels in '${p.label}' mix types (${[...types].join(' and ')}), so 1 and "1" would be different classes. Convert them to one type, or list the classes with the classes param.`,
      });
    }
    const classes = p.classes ? [...p.classes] : sortClasses(set.labels as Label[]);
    if (classes.length < 2) {
      throw new TributaryError('INVALID_DATA', {
        stage: this.kind,
        message: `A classifier needs at least two classes in its training data; '${p.label}' only holds ${JSON.stringify(classes[0])}. Check the split (stratify by the label) or the labelling.`,
      });
    }
    const index = new Map<unknown, number>(classes.map((c, i) => [c, i]));
    const binary = classes.length === 2;
    const units = binary ? 1 : classes.length;
    const n = set.features.length;
    const strata = Int32Array.from(set.labels, (l) => index.get(l)!);
    const targets = new Float32Array(n * units);
    for (let i = 0; i < n; i++) {
      if (binary) targets[i] = strata[i]!;
      else targets[i * units + strata[i]!] = 1;
    }
    let classWeight: Record<number, number> | undefined;
    if (p.classWeight === 'balanced') {
      const counts = new Array<number>(classes.length).fill(0);
      for (const s of strata) counts[s]!++;
      classWeight = Object.fromEntries(counts.map((c, i) => [i, c === 0 ? 0 : n / (classes.length * c)]));
    } else if (p.classWeight) {
      const weights = p.classWeight;
      classWeight = Object.fromEntries(classes.map((c, i) => [i, weights[String(c)] ?? 1]));
    }
    const { state, meta } = await fitNetwork(p, set, {
      targets,
      units,
      outputActivation: binary ? 'sigmoid' : 'softmax',
      loss: binary ? 'binaryCrossentropy' : 'categoricalCrossentropy',
      strata,
      ...(classWeight ? { classWeight } : {}),
    }, ctx);
    return new DenseClassifierModel(state, p, classes, meta);
  }

  async load(saved: ModelState): Promise<Model> {
    const { state, meta } = await loadNetworkState(this.params.backend, saved, this.kind);
    const { classes, ...rest } = meta;
    const units = state.network.outputs[0]!.shape[1] as number;
    if (!Array.isArray(classes) || classes.length < 2 || (units === 1 ? classes.length !== 2 : classes.length !== units)) {
      state.network.dispose();
      throw new TributaryError('ARTIFACT_CORRUPT', { stage: this.kind, message: `The saved classes of '${this.kind}' do not match its network's ${units} output(s). Re-save the model.` });
    }
    return new DenseClassifierModel(state, this.params, classes as Label[], rest);
  }
}

export const denseClassifierStage = defineStage({
  kind: 'tfjs:dense-classifier',
  description: 'Dense neural network classifier (TensorFlow.js).',
  params: DenseClassifierParams,
  fields: (p) => ({ reads: [p.input], writes: [p.output, p.prediction] }),
  implementation: DenseClassifier,
});

/** `denseClassifier({ hidden: [{ units: 10 }, { units: 10 }], epochs: 10 })` */
export const denseClassifier = stageSpec<Partial<DenseClassifierParams>>('tfjs:dense-classifier');
