import { TributaryError } from '../errors/tributary-error.js';

export interface RegressionMetrics {
  readonly count: number;
  readonly mse: number;
  readonly rmse: number;
  readonly mae: number;
  /** 1 − SS_res / SS_tot; null when the true values are all equal (SS_tot = 0), where it is undefined. */
  readonly r2: number | null;
}

/**
 * Regression figures in one streaming pass and constant memory: sums of absolute and squared errors,
 * and the variance of the true values by Welford's method (stable where a naive Σy² − n·ȳ² cancels).
 */
export class RegressionAccumulator {
  private n = 0;
  private absolute = 0;
  private squared = 0;
  private mean = 0;
  private m2 = 0;

  add(actual: number, predicted: number): void {
    if (!Number.isFinite(actual) || !Number.isFinite(predicted)) {
      throw new TributaryError('INVALID_DATA', { message: `Regression pair #${this.n} is (${actual}, ${predicted}); true values and predictions must be finite numbers.` });
    }
    const error = predicted - actual;
    this.n++;
    this.absolute += Math.abs(error);
    this.squared += error * error;
    const delta = actual - this.mean;
    this.mean += delta / this.n;
    this.m2 += delta * (actual - this.mean);
  }

  result(): RegressionMetrics {
    if (this.n === 0) return { count: 0, mse: 0, rmse: 0, mae: 0, r2: null };
    const mse = this.squared / this.n;
    return { count: this.n, mse, rmse: Math.sqrt(mse), mae: this.absolute / this.n, r2: this.m2 === 0 ? null : 1 - this.squared / this.m2 };
  }
}

/** MSE, RMSE, MAE and R² of predictions against true values. */
export function regressionMetrics(actual: ArrayLike<number>, predicted: ArrayLike<number>): RegressionMetrics {
  if (actual.length !== predicted.length) throw new TributaryError('INVALID_DATA', { message: `Got ${actual.length} true values but ${predicted.length} predictions; they must pair up one to one.` });
  const acc = new RegressionAccumulator();
  for (let i = 0; i < actual.length; i++) acc.add(actual[i]!, predicted[i]!);
  return acc.result();
}
