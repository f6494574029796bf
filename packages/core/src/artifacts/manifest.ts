import { Type, type Static } from '@sinclair/typebox';

export const MANIFEST_FILE = 'tributary.json';
export const MANIFEST_FORMAT = 'tributary-pipeline-model';
export const MANIFEST_VERSION = 1;

const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });

export const StageEntrySchema = Type.Object({
  kind: Type.String({ minLength: 1 }),
  plugin: Type.String(),
  pluginVersion: Type.String(),
  params: Type.Record(Type.String(), Type.Unknown()),
  fitted: Type.Boolean(),
  state: Type.Optional(
    Type.Object({
      meta: Type.Record(Type.String(), Type.Unknown()),
      files: Type.Record(Type.String(), Type.String()),
    }),
  ),
});

/** The manifest of a saved PipelineModel (`tributary.json`). */
export const ManifestSchema = Type.Object({
  format: Type.Literal(MANIFEST_FORMAT),
  formatVersion: Type.Integer({ minimum: 1 }),
  createdAt: Type.String(),
  core: Type.Object({ version: Type.String() }),
  plugins: Type.Array(Type.Object({ name: Type.String(), version: Type.String() })),
  stages: Type.Array(StageEntrySchema),
  schema: Type.Object({ input: Type.Array(Type.String()), output: Type.Array(Type.String()) }),
  dataFingerprint: Type.Optional(Type.String()),
  evaluation: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  /** Present when the model was saved through a gate it passed: the bounds it met, and when. */
  approval: Type.Optional(Type.Object({ passed: Type.Literal(true), bounds: Type.Record(Type.String(), Type.Number()), checkedAt: Type.String() })),
  /** Every file of the artifact but the manifest, with its sha256. */
  files: Type.Record(Type.String(), Sha256),
  /** sha256 of this manifest as written, without this field: an edited manifest is detected. */
  digest: Sha256,
});

export type Manifest = Static<typeof ManifestSchema>;
export type StageEntry = Static<typeof StageEntrySchema>;
