export { digitFiles, mnistSamples, writeDigitImages } from './collect.js';
export type { DigitSample } from './collect.js';
export { classifyDigits, digitStages, trainDigits } from './digits.js';
export type { DigitOptions, DigitResult } from './digits.js';
