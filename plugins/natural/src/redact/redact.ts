import { type Batch, STAGE_PARAMS, type Stage, type StageContext, type Static, TributaryError, Type, defineStage, inject, injectable, stageSpec } from '@tributary/core';
import { mapText } from '../record-fields.js';
import { REDACTION_KINDS, redactText } from './redact-text.js';

export const RedactParams = Type.Object(
  {
    input: Type.String({ default: 'text' }),
    /** Defaults to the input field (the text is redacted in place, so the original does not travel on). */
    output: Type.Optional(Type.String()),
    /** At least one: a redact stage that redacts nothing would pass personal data on while looking like a safeguard. */
    kinds: Type.Array(Type.Union(REDACTION_KINDS.map((k) => Type.Literal(k))), { default: [...REDACTION_KINDS], uniqueItems: true, minItems: 1 }),
    /** Also write how many of each kind were replaced to this field. */
    countsField: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type RedactParams = Static<typeof RedactParams>;

/**
 * Replaces personal data in text with placeholder tokens (`__email__`, `__url__`, `__ip__`, `__phone__`):
 * the text can then be logged or stored, and the placeholders are features in their own right
 * (spam carries far more URLs than ham). `tokenize` keeps the placeholders whole.
 */
@injectable()
export class RedactStage implements Stage {
  readonly kind = 'natural:redact';

  constructor(@inject(STAGE_PARAMS) private readonly params: RedactParams) {
    const output = params.output ?? params.input;
    if (params.countsField === output) {
      throw new TributaryError('INVALID_PARAMS', {
        stage: this.kind,
        param: 'countsField',
        message: `countsField and the output are both '${output}', so the counts would replace the redacted text. Name another field for the counts.`,
      });
    }
  }

  transform(batch: Batch, ctx: StageContext): Batch {
    const { input, kinds, countsField } = this.params;
    const output = this.params.output ?? input;
    return mapText(batch, ctx, input, (text, record) => {
      const result = redactText(text, kinds);
      return { ...record, [output]: result.text, ...(countsField ? { [countsField]: result.counts } : {}) };
    });
  }
}

export const redactStage = defineStage({
  kind: 'natural:redact',
  description: 'Replaces e-mail addresses, URLs, IP addresses and phone numbers with placeholder tokens.',
  params: RedactParams,
  fields: (p) => ({ reads: [p.input], writes: [p.output ?? p.input, ...(p.countsField ? [p.countsField] : [])] }),
  implementation: RedactStage,
  worker: true,
});

/** `redact({ kinds: ['email', 'url'] })` */
export const redact = stageSpec<Partial<RedactParams>>('natural:redact');
