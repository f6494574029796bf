import { type DenseTensor, type FeatureVector, isDenseTensor } from '@tributary/core';
import type { NetworkInput } from './network-input.js';

export type DataFormat = 'channelsLast' | 'channelsFirst';

const FLOAT32_MAX = 3.4028234663852886e38;

const describe = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'an array' : ArrayBuffer.isView(value) ? value.constructor.name : typeof value);
const show = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/**
 * One image per record as a DenseTensor: [height, width, channels], or [channels, height, width]
 * with `channelsFirst`. The network always takes [height, width, channels]: channels-first images
 * are reordered while their batch is filled, so no backend needs NCHW convolutions and no copy of
 * the dataset is made.
 */
export function imageInput(dataFormat: DataFormat): NetworkInput {
  const layout = dataFormat === 'channelsLast' ? '[height, width, channels]' : "[channels, height, width] (dataFormat 'channelsFirst')";
  return {
    problem(value, shape) {
      if (value === undefined) return "is missing from the record; set the stage's input param to the field that holds the image tensor (an image stage's toTensor output)";
      if (!isDenseTensor(value)) {
        const t = value as Partial<DenseTensor> | null;
        if (t !== null && typeof t === 'object' && t.kind === 'tensor') {
          return `is a malformed tensor: its data must be a Float32Array holding exactly the values its shape ${Array.isArray(t.shape) ? show(t.shape) : '(missing)'} describes`;
        }
        return `is not an image tensor (a DenseTensor of shape ${layout}), got ${describe(value)}; an image stage's toTensor writes one, or wrap the pixels with denseTensor(data, shape)`;
      }
      if (value.shape.length !== 3) return `is a tensor of shape ${show(value.shape)}; an image is a rank-3 tensor ${layout}`;
      if (shape && value.shape.some((d, i) => d !== shape[i])) return `has shape ${show(value.shape)}, but the model takes ${show(shape)}; resize the images to the training size`;
      const { data } = value;
      for (let i = 0; i < data.length; i++) {
        const v = data[i]!;
        // Networks compute in float32: anything beyond its range becomes Infinity there.
        if (!Number.isFinite(v) || Math.abs(v) > FLOAT32_MAX) return `holds a value out of the float32 range (${v}) at position ${i}`;
      }
      return undefined;
    },
    shapeOf: (value) => (value as DenseTensor).shape,
    mismatch: (shape, common) => `has shape ${show(shape)}, but most training records have ${show(common)}`,
    networkShape: ([a = 0, b = 0, c = 0]) => (dataFormat === 'channelsLast' ? [a, b, c] : [b, c, a]),
    recordShape: ([a = 0, b = 0, c = 0]) => (dataFormat === 'channelsLast' ? [a, b, c] : [c, a, b]),
    write:
      dataFormat === 'channelsLast'
        ? (value: FeatureVector, target: Float32Array, offset: number) => target.set((value as DenseTensor).data, offset)
        : (value: FeatureVector, target: Float32Array, offset: number) => {
            const { data, shape } = value as DenseTensor;
            const [channels = 0, height = 0, width = 0] = shape;
            const plane = height * width;
            for (let c = 0; c < channels; c++) {
              const from = c * plane;
              for (let p = 0; p < plane; p++) target[offset + p * channels + c] = data[from + p]!;
            }
          },
  };
}
