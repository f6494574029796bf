import { type Batch, type Model, type ModelState, type StageContext, TributaryError, Type } from '@tributary/core';
import type { NetworkHead } from './fit-network.js';
import { NetworkModel, type NetworkState } from './network-model.js';

const LabelSchema = Type.Union([Type.Number(), Type.String(), Type.Boolean()]);
export type Label = number | string | boolean;

/** Params every network classifier shares: where the scores and the predicted class go, the classes, the threshold and the class weights. */
export const classifierParams = {
  /** Binary (two classes): the probability of the second class. More classes: the array of class probabilities. */
  output: Type.String({ default: 'score' }),
  /** The predicted class. */
  prediction: Type.String({ default: 'prediction' }),
  /** The classes in order; by default the sorted distinct labels of the training data. The second of two is the positive class. */
  classes: Type.Optional(Type.Array(LabelSchema, { minItems: 2, uniqueItems: true })),
  /** Binary only: predict the positive class when its probability is at least this. */
  threshold: Type.Number({ minimum: 0, maximum: 1, default: 0.5 }),
  /** Loss weight per class: `balanced` (n / (k × n_class)) or a map from class to weight. */
  classWeight: Type.Optional(Type.Union([Type.Literal('balanced'), Type.Record(Type.String(), Type.Number({ exclusiveMinimum: 0 }))])),
};

interface ClassifierParams {
  readonly input: string;
  readonly label: string;
  readonly output: string;
  readonly prediction: string;
  readonly classes?: Label[];
  readonly threshold: number;
  readonly classWeight?: 'balanced' | Record<string, number>;
}

function sortClasses(labels: Iterable<Label>): Label[] {
  return [...new Set(labels)].sort((a, b) =>
    typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0,
  );
}

/** The classWeight keys that name none of `classes` (keys are the classes as text: `String(label)`). */
function unknownWeightKeys(classWeight: ClassifierParams['classWeight'], classes: readonly Label[]): string[] {
  if (!classWeight || classWeight === 'balanced') return [];
  const names = new Set(classes.map(String));
  return Object.keys(classWeight).filter((key) => !names.has(key));
}

function unknownWeightError(keys: readonly string[], classes: readonly Label[], kind: string, learned: boolean): TributaryError {
  return new TributaryError('INVALID_PARAMS', {
    stage: kind,
    param: 'classWeight',
    message: `Stage '${kind}': classWeight names ${keys.map((k) => JSON.stringify(k)).join(', ')}, which ${keys.length === 1 ? 'is not a class' : 'are not classes'} (the classes${learned ? ' of the training labels' : ''} are ${classes.map((c) => JSON.stringify(String(c))).join(', ')}); such a weight would be ignored. Name each class as its label reads as text.`,
    details: { unknown: [...keys] },
  });
}

/**
 * Refuses, when the stage is resolved, classifier params that would lose something silently: the
 * score and the class written to one field, or a class weight for a class that is not listed.
 */
export function checkClassifierParams(p: ClassifierParams, kind: string): void {
  if (p.output === p.prediction) {
    throw new TributaryError('INVALID_PARAMS', {
      stage: kind,
      param: 'prediction',
      message: `Stage '${kind}': output and prediction are both '${p.output}', so the predicted class would replace the score. Give them different fields.`,
    });
  }
  if (p.classes) {
    const unknown = unknownWeightKeys(p.classWeight, p.classes);
    if (unknown.length > 0) throw unknownWeightError(unknown, p.classes, kind, false);
  }
}

/** Why a label cannot train a classifier with these params, or undefined. */
export function labelProblem(p: Pick<ClassifierParams, 'classes'>): (value: unknown) => string | undefined {
  const allowed = p.classes ? new Set<unknown>(p.classes) : undefined;
  return (value) => {
    if (!(typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)))) {
      return `is not a class label (a number, string or boolean), got ${value === null ? 'null' : typeof value}`;
    }
    if (allowed && !allowed.has(value)) return `holds ${JSON.stringify(value)}, which is not one of the classes ${JSON.stringify(p.classes)}`;
    return undefined;
  };
}

/**
 * The classes and the network head for the training labels: sigmoid + binary cross-entropy for two
 * classes, softmax + categorical cross-entropy for more, class weights by index.
 */
export function classifierHead(p: ClassifierParams, labels: readonly unknown[], kind: string): { classes: Label[]; head: NetworkHead } {
  const types = new Set(labels.map((l) => typeof l));
  if (!p.classes && types.size > 1) {
    throw new TributaryError('INVALID_DATA', {
      stage: kind,
      message: `The labels in '${p.label}' mix types (${[...types].join(' and ')}), so 1 and "1" would be different classes. Convert them to one type, or list the classes with the classes param.`,
    });
  }
  const classes = p.classes ? [...p.classes] : sortClasses(labels as Label[]);
  if (classes.length < 2) {
    throw new TributaryError('INVALID_DATA', {
      stage: kind,
      message: `A classifier needs at least two classes in its training data; '${p.label}' only holds ${JSON.stringify(classes[0])}. Check the split (stratify by the label) or the labelling.`,
    });
  }
  const unknown = unknownWeightKeys(p.classWeight, classes);
  if (unknown.length > 0) throw unknownWeightError(unknown, classes, kind, !p.classes);
  const index = new Map<unknown, number>(classes.map((c, i) => [c, i]));
  const binary = classes.length === 2;
  const units = binary ? 1 : classes.length;
  const n = labels.length;
  const strata = Int32Array.from(labels, (l) => index.get(l)!);
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
  return {
    classes,
    head: {
      targets,
      units,
      outputActivation: binary ? 'sigmoid' : 'softmax',
      loss: binary ? 'binaryCrossentropy' : 'categoricalCrossentropy',
      // Reported per epoch (events, history); it does not change training.
      metrics: ['accuracy'],
      strata,
      ...(classWeight ? { classWeight } : {}),
    },
  };
}

/** The saved classes of a classifier, checked against its network's outputs; the network is disposed when they do not fit. */
export function savedClasses(state: NetworkState, classes: unknown, kind: string): Label[] {
  const units = state.network.outputs[0]!.shape[1] as number;
  if (!Array.isArray(classes) || classes.length < 2 || (units === 1 ? classes.length !== 2 : classes.length !== units)) {
    state.network.dispose();
    throw new TributaryError('ARTIFACT_CORRUPT', { stage: kind, message: `The saved classes of '${kind}' do not match its network's ${units} output(s). Re-save the model.` });
  }
  return classes as Label[];
}

/** A fitted network classifier: writes the score (probability or probabilities) and the predicted class. */
export class ClassifierModel extends NetworkModel implements Model {
  constructor(
    readonly kind: string,
    state: NetworkState,
    private readonly params: Pick<ClassifierParams, 'input' | 'output' | 'prediction' | 'threshold'>,
    readonly classes: readonly Label[],
    private readonly meta: Record<string, unknown>,
    chunk?: number,
  ) {
    super(state, params.input, chunk);
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
