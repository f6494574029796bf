import type { Tf } from './backend.js';

type TensorInfo = import('@tensorflow/tfjs-core').TensorInfo;
type KernelBackend = { disposeData(dataId: object): void };

/**
 * Gives the WASM backend the gradient of a convolution with respect to its filter
 * (`Conv2DBackpropFilter`), which tfjs-backend-wasm 4.22 lacks: without it a convolutional network
 * predicts on WASM but cannot train. The gradient is itself a convolution, run by the backend's own
 * Conv2D kernel:
 *
 *   dW[kh, kw, ci, co] = Σ_{n, oh, ow} xPadded[n, oh·sh + kh, ow·sw + kw, ci] · dy[n, oh, ow, co]
 *
 * is a valid convolution of x (transposed to [ci, h, w, n], batch as channels) with dy (transposed to
 * [oh, ow, n, co]) as the filter, dilated by the strides; its [ci, kh, kw, co] result is transposed
 * into the filter's [kh, kw, ci, co]. Registered only where the kernel is missing, so a backend that
 * brings its own keeps it.
 */
export function provideConv2dFilterGradient(tf: Tf): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  const transpose = tf.getKernel('Transpose', 'wasm')?.kernelFunc;
  const conv2d = tf.getKernel('Conv2D', 'wasm')?.kernelFunc;
  const slice = tf.getKernel('Slice', 'wasm')?.kernelFunc;
  if (!transpose || !conv2d || !slice) return;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as {
        strides: number | [number, number];
        pad: 'valid' | 'same' | number | number[][];
        dataFormat: 'NHWC' | 'NCHW';
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
        filterShape: [number, number, number, number];
      };
      if (dataFormat === 'NCHW') throw new Error("The WASM backend's Conv2DBackpropFilter takes NHWC data only.");
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filterShape,
        strides,
        1,
        pad as Parameters<Tf['backend_util']['computeConv2DInfo']>[4],
        dimRoundingMode,
      );
      const { strideHeight, strideWidth, filterHeight, filterWidth, inHeight, inWidth, outHeight, outWidth, padInfo } = info;
      const run = (kernel: typeof conv2d, kernelInputs: Record<string, TensorInfo>, kernelAttrs: Record<string, unknown>) =>
        kernel({ inputs: kernelInputs, backend, attrs: kernelAttrs as never }) as TensorInfo;
      const dispose = (t: TensorInfo) => (backend as KernelBackend).disposeData(t.dataId);
      const xT = run(transpose, { x }, { perm: [3, 1, 2, 0] });
      const dyT = run(transpose, { x: dy }, { perm: [1, 2, 0, 3] });
      // Pad only as far as the last window reaches; rows past it (valid padding with strides) are cut off below.
      const bottom = Math.max(0, (outHeight - 1) * strideHeight + filterHeight - inHeight - padInfo.top);
      const right = Math.max(0, (outWidth - 1) * strideWidth + filterWidth - inWidth - padInfo.left);
      let grad: TensorInfo;
      try {
        grad = run(conv2d, { x: xT, filter: dyT }, {
          strides: [1, 1],
          pad: [[0, 0], [padInfo.top, bottom], [padInfo.left, right], [0, 0]],
          dataFormat: 'NHWC',
          dilations: [strideHeight, strideWidth],
        });
      } finally {
        dispose(xT);
        dispose(dyT);
      }
      if (grad.shape[1] !== filterHeight || grad.shape[2] !== filterWidth) {
        const cropped = run(slice, { x: grad }, { begin: [0, 0, 0, 0], size: [grad.shape[0], filterHeight, filterWidth, grad.shape[3]] });
        dispose(grad);
        grad = cropped;
      }
      const out = run(transpose, { x: grad }, { perm: [1, 2, 0, 3] });
      dispose(grad);
      return out;
    },
  });
}
