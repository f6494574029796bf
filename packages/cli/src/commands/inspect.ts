import fs from 'node:fs';
import path from 'node:path';
import { FileArtifactStore, type Manifest, readArtifact } from '@tributary/core';
import { UsageError } from '../errors.js';
import { type GlobalOptions, emit, table } from '../output.js';
import { pipelineDiagram } from '../mermaid.js';

export interface InspectOptions extends GlobalOptions {
  readonly mermaid?: boolean;
}

/** Reads an artifact's manifest with every file's hash verified (no plugin needed: nothing is loaded). */
export async function readManifest(dir: string): Promise<{ manifest: Manifest; bytes: number }> {
  const absolute = path.resolve(dir);
  if (dir === '' || !fs.existsSync(absolute)) throw new UsageError(`There is no model at ${dir || "''"}. Give the folder a model was saved to (the spec's save, e.g. artifacts/spam-filter).`);
  if (!fs.statSync(absolute).isDirectory()) throw new UsageError(`${dir} is a file; a saved model is a folder (the one holding tributary.json).`);
  const { manifest, files } = await readArtifact(new FileArtifactStore(), absolute);
  let bytes = 0;
  for (const content of files.values()) bytes += typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
  return { manifest, bytes };
}

const number = (v: unknown) => (typeof v === 'number' ? v.toFixed(4) : v === null ? 'n/a' : undefined);

/** `tributary inspect <artifact>`: manifest, versions, metrics, and the pipeline as a Mermaid diagram. */
export async function inspectCommand(dir: string, options: InspectOptions): Promise<void> {
  const { manifest, bytes } = await readManifest(dir);
  const diagram = pipelineDiagram(manifest);
  if (options.mermaid) {
    process.stdout.write(options.json ? `${JSON.stringify({ mermaid: diagram })}\n` : `${diagram}\n`);
    return;
  }
  const evaluation = manifest.evaluation ?? {};
  const metrics = Object.fromEntries(['accuracy', 'precision', 'recall', 'f1', 'macroF1', 'rocAuc', 'logLoss', 'testRecords'].filter((k) => k in evaluation).map((k) => [k, evaluation[k]]));
  emit(
    options,
    {
      artifact: path.resolve(dir),
      format: { name: manifest.format, version: manifest.formatVersion },
      createdAt: manifest.createdAt,
      core: manifest.core.version,
      plugins: manifest.plugins,
      stages: manifest.stages.map((s) => ({ kind: s.kind, plugin: s.plugin, pluginVersion: s.pluginVersion, fitted: s.fitted, params: s.params, stateFiles: Object.keys(s.state?.files ?? {}) })),
      schema: manifest.schema,
      metrics,
      ...(evaluation.gate ? { gate: evaluation.gate } : {}),
      approval: manifest.approval ?? null,
      dataFingerprint: manifest.dataFingerprint ?? null,
      files: Object.keys(manifest.files).length + 1,
      bytes,
      verified: true,
      mermaid: diagram,
    },
    () => {
      const out: string[] = [];
      out.push(`${path.resolve(dir)}`);
      out.push(`  ${manifest.format} v${manifest.formatVersion}, created ${manifest.createdAt}, ${Object.keys(manifest.files).length + 1} files (${(bytes / 1024).toFixed(0)} KiB), every hash verified`);
      out.push(`  core ${manifest.core.version}; ${manifest.plugins.map((p) => `${p.name} ${p.version}`).join(', ')}`);
      out.push(`  input ${manifest.schema.input.join(', ')}; output ${manifest.schema.output.join(', ')}`);
      out.push('', 'stages:');
      out.push(
        table([
          ['#', 'kind', 'plugin', 'fitted', 'params'],
          ...manifest.stages.map((s, i) => [String(i + 1), s.kind, `${s.plugin}@${s.pluginVersion}`, s.fitted ? 'yes' : 'no', JSON.stringify(s.params)]),
        ]).replace(/^/gm, '  '),
      );
      if (Object.keys(metrics).length > 0) {
        out.push('', 'evaluation:');
        out.push(`  ${Object.entries(metrics).map(([k, v]) => `${k} ${k === 'testRecords' ? String(v) : (number(v) ?? String(v))}`).join('  ')}`);
        const gate = evaluation.gate as { passed?: boolean } | undefined;
        if (gate) out.push(`  gate ${gate.passed ? 'passed' : 'failed'}`);
        if (manifest.approval) out.push(`  approved: met ${JSON.stringify(manifest.approval.bounds)} (${manifest.approval.checkedAt})`);
      }
      out.push('', 'pipeline (Mermaid):', diagram);
      return out.join('\n');
    },
  );
}
