import { ErrorBody, PredictRequest, PredictResponse } from './schemas.js';
import type { ModelRegistry } from './registry.js';

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const errors = {
  400: { description: 'The body is not a valid request; `error.path` points at the part.', ...json(ErrorBody) },
  401: { description: 'A bearer token is required and was missing or wrong.', ...json(ErrorBody) },
  404: { description: 'No such model or version.', ...json(ErrorBody) },
  413: { description: 'The body is over the size limit.', ...json(ErrorBody) },
  415: { description: 'The body is not JSON.', ...json(ErrorBody) },
  500: { description: 'The server failed; the message carries a request id for its log.', ...json(ErrorBody) },
  503: { description: 'The queue is full, the request timed out, or the server is closing.', headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'seconds to wait' } }, ...json(ErrorBody) },
};

/**
 * The OpenAPI 3.1 document of what is served now: a predict path per model (and per version), each
 * with the instance schema of that pipeline — the fields its first stages read — and the outputs.
 */
export function openApiDocument(registry: ModelRegistry, options: { maxInstances: number; auth: boolean }): object {
  const paths: Record<string, object> = {};
  for (const name of registry.names()) {
    for (const served of registry.versions(name)) {
      const input = served.model.schema.input;
      const instance = { type: 'object', required: input, properties: Object.fromEntries(input.map((f) => [f, { description: `read by the pipeline of ${name}` }])), additionalProperties: true };
      const request = { ...PredictRequest(options.maxInstances), properties: { ...PredictRequest(options.maxInstances).properties, instances: { type: 'array', minItems: 1, maxItems: options.maxInstances, items: instance } } };
      const output = { type: 'object', properties: Object.fromEntries(served.outputs.map((f) => [f, {}])) };
      const response = { ...PredictResponse, properties: { ...PredictResponse.properties, predictions: { type: 'array', items: { anyOf: [output, { type: 'null' }] } } } };
      const operation = {
        post: {
          summary: `Predict with ${name} version ${served.version}`,
          requestBody: { required: true, ...json(request) },
          responses: { 200: { description: 'One prediction per instance, in order.', ...json(response) }, ...errors },
          operationId: `predict_${name}_v${served.version}`.replace(/[^A-Za-z0-9_]/g, '_'),
          ...(options.auth ? { security: [{ bearer: [] }] } : {}),
        },
      };
      paths[`/v1/models/${name}/versions/${served.version}:predict`] = operation;
      if (served === registry.get(name)) paths[`/v1/models/${name}:predict`] = { post: { ...operation.post, operationId: `predict_${name}`.replace(/[^A-Za-z0-9_]/g, '_'), summary: `Predict with ${name} (its highest version, ${served.version})` } };
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Tributary model server', version: '1' },
    paths,
    ...(options.auth ? { components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } } : {}),
  };
}
