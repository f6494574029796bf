import type { Backend } from './backend.js';
import { seededDropoutClass } from './seeded-dropout.js';

type LayersModel = import('@tensorflow/tfjs-layers').LayersModel;

/** The files a network is saved as inside an artifact: the topology and weight manifest, and the weights. */
export interface NetworkFiles {
  readonly 'model.json': string;
  readonly 'weights.bin': Uint8Array;
}

/**
 * Saves a network through an IO handler of our own (`withSaveHandler`), so saving needs no `file://`
 * handler: that handler exists only with tfjs-node, and only in the tfjs copy it was loaded with.
 */
export async function saveNetwork(backend: Backend, model: LayersModel): Promise<NetworkFiles> {
  const { tf } = backend;
  let files: NetworkFiles | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      files = {
        'model.json': JSON.stringify({ modelTopology: artifacts.modelTopology, weightSpecs: artifacts.weightSpecs, format: 'layers-model' }),
        'weights.bin': new Uint8Array(weights),
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return files!;
}

/** Loads a network saved by `saveNetwork` from memory (`fromMemory`), bit-identical to what was saved. */
export async function loadNetwork(backend: Backend, files: { 'model.json': Uint8Array | string; 'weights.bin': Uint8Array }): Promise<LayersModel> {
  const { tf, tfl } = backend;
  // A saved network may contain our seeded dropout layer; its class must be known before deserialising.
  seededDropoutClass(tf, tfl);
  const json = typeof files['model.json'] === 'string' ? files['model.json'] : new TextDecoder().decode(files['model.json']);
  const { modelTopology, weightSpecs } = JSON.parse(json) as { modelTopology: object; weightSpecs: import('@tensorflow/tfjs-core').io.WeightsManifestEntry[] };
  const bytes = files['weights.bin'];
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology, weightSpecs, weightData }));
}
