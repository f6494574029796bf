import { definePlugin } from '@tributary/core';
import { decodeImageStage } from './stages/decode.js';
import { encodeImageStage } from './stages/encode-image.js';
import { greyscaleStage } from './stages/greyscale.js';
import { normalizeStage } from './stages/normalize.js';
import { resizeStage } from './stages/resize.js';
import { sobelStage } from './stages/sobel.js';
import { thresholdStage } from './stages/threshold.js';
import { toTensorStage } from './stages/to-tensor.js';
import { writeImageStage } from './stages/write-image.js';

export { DecodeImageParams, DecodeImageStage, decodeImage } from './stages/decode.js';
export { GreyscaleParams, GreyscaleStage, greyscale } from './stages/greyscale.js';
export { SobelParams, SobelStage, sobel } from './stages/sobel.js';
export { ThresholdParams, ThresholdStage, threshold } from './stages/threshold.js';
export { ResizeParams, ResizeStage, resize } from './stages/resize.js';
export { NormalizeParams, NormalizeStage, normalize } from './stages/normalize.js';
export { ToTensorParams, ToTensorStage, toTensor } from './stages/to-tensor.js';
export { EncodeImageParams, EncodeImageStage, encodeImage } from './stages/encode-image.js';
export { WriteImageParams, WriteImageStage, writeImage } from './stages/write-image.js';
export { IMAGE_EXTENSIONS, imageFiles } from './files.js';
export type { ImageFileRecord, ImageFilesOptions } from './files.js';
export { encodePixels } from './encode.js';
export type { EncodeOptions, ImageFormat } from './encode.js';
export { imageProblem, maxValue } from './image.js';
export type { Depth, Pixels, RawImage } from './image.js';
export { GREY_WEIGHTS, borderIndex, greyscaleImage, normalizeImage, otsuThreshold, sobelImage, tensorData, thresholdImage } from './kernels.js';
export type { BorderMode, NormalizeOptions, SobelDirection, SobelOptions, SobelOutput, ThresholdOptions } from './kernels.js';
export { loadSharp } from './sharp.js';
export { isSrgbProfile } from './icc.js';
export { contactSheet } from './contact-sheet.js';
export type { ContactSheetOptions } from './contact-sheet.js';

/** The image plugin: `createRuntime({ plugins: [sharp] })`. */
export const sharp = definePlugin({
  name: '@tributary/plugin-sharp',
  version: '0.1.0',
  core: '^0.1.0',
  stages: [
    decodeImageStage,
    greyscaleStage,
    sobelStage,
    thresholdStage,
    resizeStage,
    normalizeStage,
    toTensorStage,
    encodeImageStage,
    writeImageStage,
  ],
});

export default sharp;
