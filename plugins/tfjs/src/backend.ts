import { TributaryError } from '@tributary/core';
import { provideConv2dFilterGradient } from './conv2d-filter-gradient.js';

export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type Tf = typeof import('@tensorflow/tfjs-core');
export type Tfl = typeof import('@tensorflow/tfjs-layers');

export interface Backend {
  readonly name: BackendName;
  readonly tf: Tf;
  readonly tfl: Tfl;
}

const ORDER: Record<BackendPreference, BackendName[]> = {
  auto: ['tensorflow', 'wasm', 'cpu'],
  tensorflow: ['tensorflow'],
  wasm: ['wasm'],
  cpu: ['cpu'],
};

/** Loads the module that registers a backend; false when it is not installed or cannot load here. */
async function registerBackend(name: BackendName): Promise<boolean> {
  try {
    if (name === 'tensorflow') {
      // An optional peer: present only where libtensorflow could be installed.
      const specifier = '@tensorflow/tfjs-node';
      await import(/* @vite-ignore */ specifier);
    } else if (name === 'wasm') {
      await import('@tensorflow/tfjs-backend-wasm');
    } else {
      await import('@tensorflow/tfjs-backend-cpu');
    }
    return true;
  } catch {
    return false;
  }
}

let current: Promise<Backend> | undefined;
let currentPreference: BackendPreference | undefined;

/**
 * Selects the TensorFlow.js backend for this process: `auto` takes tfjs-node when it is installed
 * and loads, else WASM, else the pure-JS CPU backend. The engine is global to the process, so the
 * first choice holds until a different preference is asked for. On WASM the filter gradient of a
 * convolution is added (see `provideConv2dFilterGradient`), so convolutional networks can train there.
 */
export function useBackend(preference: BackendPreference = 'auto'): Promise<Backend> {
  if (current && (preference === currentPreference || preference === 'auto')) return current;
  currentPreference = preference;
  current = (async () => {
    const [tf, tfl] = await Promise.all([import('@tensorflow/tfjs-core'), import('@tensorflow/tfjs-layers')]);
    const tried: string[] = [];
    for (const name of ORDER[preference]) {
      if (!(await registerBackend(name))) {
        tried.push(`${name} (not installed)`);
        continue;
      }
      try {
        if (await tf.setBackend(name)) {
          await tf.ready();
          if (name === 'wasm') provideConv2dFilterGradient(tf);
          return { name, tf, tfl };
        }
        tried.push(`${name} (failed to initialise)`);
      } catch (error) {
        tried.push(`${name} (${error instanceof Error ? error.message : String(error)})`);
      }
    }
    current = undefined;
    throw new TributaryError('BACKEND_UNAVAILABLE', {
      message: `No TensorFlow.js backend for '${preference}' could start: tried ${tried.join(', ')}. Use backend 'auto', or install the missing package (npm install @tensorflow/tfjs-node for 'tensorflow').`,
    });
  })();
  return current;
}
