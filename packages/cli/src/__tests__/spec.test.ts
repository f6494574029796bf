import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { pipelineJsonSchema } from '../spec/schema.js';
import { loadSpec, parseOverride } from '../spec/load.js';
import { PACKAGE_DIR, scratchDir } from './tributary.js';

const examples = path.join(PACKAGE_DIR, '..', '..', 'examples');
const specs = fs.readdirSync(examples).map((name) => path.join(examples, name, 'pipeline.yaml')).filter((file) => fs.existsSync(file));

describe('the published JSON Schema of pipeline specs', () => {
  it('is the file the package ships (regenerate it with npm run schema -w @tributary/cli)', () => {
    const shipped = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, 'schema', 'pipeline.schema.json'), 'utf8'));
    expect(shipped).toEqual(pipelineJsonSchema());
  });

  it('is valid draft-07 JSON Schema that a standard validator (Ajv) accepts every example spec with, and rejects broken ones', () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(pipelineJsonSchema());
    expect(specs.map((file) => path.basename(path.dirname(file)))).toEqual(['digits', 'edge-detection', 'sensor-anomaly', 'spam-filter']);
    for (const file of specs) expect(validate(parse(fs.readFileSync(file, 'utf8'))), `${file}: ${JSON.stringify(validate.errors)}`).toBe(true);
    const spam = parse(fs.readFileSync(specs[3]!, 'utf8')) as Record<string, unknown>;
    expect(validate({ ...spam, splitt: {} })).toBe(false);
    expect(validate({ ...spam, source: { type: 'ftp', path: 'x' } })).toBe(false);
    expect(validate({ ...spam, stages: [{ kind: 'NotAKind' }] })).toBe(false);
    expect(validate({ ...spam, source: { type: 'sql', query: 'SELECT 1', params: { x: [1] } } })).toBe(false);
    expect(validate({ ...spam, source: { type: 'http', url: 'https://x', next: { cursor: 'meta.next' } } })).toBe(false);
  });
});

describe('--set overrides', () => {
  it('parse the value as YAML at a dotted path, list indexes included', () => {
    expect(parseOverride('source.limit=300')).toEqual({ at: ['source', 'limit'], value: 300 });
    expect(parseOverride('stages.5.params.hidden=[{units: 8}]')).toEqual({ at: ['stages', 5, 'params', 'hidden'], value: [{ units: 8 }] });
    expect(parseOverride('name=a=b')).toEqual({ at: ['name'], value: 'a=b' });
    expect(() => parseOverride('limit')).toThrow(/path=value/);
    expect(() => parseOverride('__proto__.x=1')).toThrow(/cannot write/);
  });

  it('apply before validation, and problems they cause are reported against the --set', () => {
    const dir = scratchDir('set');
    try {
      const file = path.join(dir, 'p.yaml');
      fs.writeFileSync(file, 'plugins: []\nsource: { type: jsonl, path: a.jsonl }\nstages: [{ kind: a:b }]\n');
      expect(loadSpec(file, ['source.limit=5', 'stages.0.params.x=1']).spec).toMatchObject({ source: { limit: 5 }, stages: [{ kind: 'a:b', params: { x: 1 } }] });
      const error = (() => {
        try {
          loadSpec(file, ['source.limit=many']);
        } catch (e) {
          return e as UsageError;
        }
      })();
      expect(error).toBeInstanceOf(UsageError);
      expect(error!.problems).toEqual([expect.stringMatching(/p\.yaml \(--set source\.limit\): field 'source\.limit' expected integer \(got "many"\)/)]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
