import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readings, readingsFile, runtime, trainSensorAnomaly } from '@tributary/example-sensor-anomaly';
import { describe, expect, it } from 'vitest';

describe('the sensor-anomaly pipeline', () => {
  it('finds the anomalies of the test part with F1 ≥ 0.95 and recall ≥ 0.93, scaling learned on the training part only', { timeout: 600_000 }, async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-sensor-')), 'model');
    const result = await trainSensorAnomaly({ out });
    try {
      // Every reading of the CSV, counted from the file itself.
      const lines = fs.readFileSync(readingsFile(), 'utf8').trim().split('\n');
      expect(result.readings).toBe(lines.length - 1);
      const anomalies = lines.slice(1).filter((l) => l.endsWith(',1')).length;
      // Stratified 80/20: the test part holds 20% of the anomalies, rounded.
      expect(result.anomaly.support).toBe(Math.round(anomalies * 0.2));
      expect(result.anomaly.f1).toBeGreaterThanOrEqual(0.95);
      expect(result.anomaly.recall).toBeGreaterThanOrEqual(0.93);

      // The figures again, counted by hand from the saved model's answers on the same test part.
      const { train, test } = readings().split({ test: 0.2, seed: 42, stratifyBy: 'label' });
      const loaded = await runtime().load(out);
      const answers = await loaded.transform(test).collect();
      let tp = 0;
      let fp = 0;
      let fn = 0;
      for (const a of answers) {
        if (a.prediction === 1 && a.label === 1) tp++;
        else if (a.prediction === 1) fp++;
        else if (a.label === 1) fn++;
      }
      expect(answers).toHaveLength(result.evaluation.testRecords);
      expect(tp / (tp + fn)).toBeCloseTo(result.anomaly.recall, 12);
      expect((2 * tp) / (2 * tp + fp + fn)).toBeCloseTo(result.anomaly.f1, 12);

      // The scaler's mean is the training part's, not the whole file's.
      const manifest = JSON.parse(fs.readFileSync(path.join(out, 'tributary.json'), 'utf8'));
      const saved = manifest.stages[0].state.meta.numeric[0] as { column: string; offset: number };
      const trainHumidity = (await train.collect()).map((r) => r.humidity as number);
      const allHumidity = (await readings().collect()).map((r) => r.humidity as number);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(saved.column).toBe('humidity');
      expect(saved.offset).toBeCloseTo(mean(trainHumidity), 9);
      expect(Math.abs(saved.offset - mean(allHumidity))).toBeGreaterThan(1e-6);

      // A raw reading from the file, scored by the saved model: a heated sensor, and a normal one (mote 1).
      const [hot, normal] = await loaded.predict([
        { mote_id: 1, humidity: 74.17, temperature: 36.39 },
        { mote_id: 1, humidity: 45.93, temperature: 27.97 },
      ]);
      expect([hot!.prediction, normal!.prediction]).toEqual([1, 0]);
      expect(fs.existsSync(path.join(out, 'report.html'))).toBe(true);
      await loaded.dispose();
    } finally {
      await result.model.dispose();
    }
  });
});
