import { type TSchema, Type } from '@tributary/core';

/** The body of a predict request, as TensorFlow Serving's REST API has it: `{"instances": [record, ...]}`. */
export const PredictRequest = (maxInstances: number) =>
  Type.Object(
    {
      instances: Type.Array(Type.Object({}, { additionalProperties: true, description: 'A record: the fields the pipeline reads.' }), { minItems: 1, maxItems: maxInstances }),
      signature_name: Type.Optional(Type.String({ description: 'Accepted for TensorFlow Serving clients; a pipeline has one signature.' })),
    },
    { additionalProperties: false },
  );

/** One prediction per instance, in order: the fields the last stage writes, or null with an entry in `errors`. */
export const PredictResponse = Type.Object({
  // Items are left open (an object, or null): a union would make the serialiser test each item against both.
  predictions: Type.Array(Type.Unknown(), { description: 'One per instance: the fields the last stage writes, or null when a stage rejected it.' }),
  errors: Type.Optional(Type.Array(Type.Object({ index: Type.Integer(), code: Type.String(), message: Type.String() }), { description: 'Instances a stage rejected, by index.' })),
  warnings: Type.Optional(Type.Array(Type.Object({ index: Type.Integer(), code: Type.String(), message: Type.String() }), { description: 'What stages noted about instances they still answered (an empty text), by index.' })),
});

/** Every error answer: a code to branch on and a message that says what to do. */
export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), path: Type.Optional(Type.String()) }),
});

export type Schema = TSchema;
