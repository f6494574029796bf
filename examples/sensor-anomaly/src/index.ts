export { readings, readingsFile, runtime, sensorStages, trainSensorAnomaly } from './sensor-anomaly.js';
export type { SensorResult } from './sensor-anomaly.js';
