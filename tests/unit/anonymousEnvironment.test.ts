// Inline environments are named and sent exactly as azure-ai-ml 1.35 (python/requirements.lock) names
// and sends them: the same CliV2AnonymousEnvironment version and the same condaFile text, for every
// inline environment of Microsoft's sample files and for the quoting and folding cases of PyYAML.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from '@jest/globals';
import { parse } from 'yaml';
import {
  ANONYMOUS_ENVIRONMENT_NAME,
  anonymousEnvironmentVersion,
  pyYamlDump,
} from '../../shared/azure/anonymousEnvironment.js';
import { CORPUS_DIR } from '../corpus/corpus.js';
import { PYTHON, describeWithPython } from '../support/python.js';

const HELPER = fileURLToPath(new URL('../support/python/anonymous_environments.py', import.meta.url));

interface Case {
  label: string;
  image: string;
  /** An absolute path or a mapping, as the job file gives it. */
  conda_file?: string | Record<string, unknown>;
}

const IMAGE = 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest';
const CRAFTED: Case[] = [
  { label: 'an image alone', image: IMAGE },
  {
    label: 'strings PyYAML must quote',
    image: IMAGE,
    conda_file: {
      name: 'quoting',
      channels: ['defaults'],
      dependencies: [
        '3.10',
        'yes',
        'null',
        '',
        '- x',
        'a: b',
        'a #b',
        '#c',
        '@d',
        '*e',
        ' lead',
        'trail ',
        "it's",
        '0x1F',
        '1:30',
        '2024-01-01',
        '=',
        '~',
        'é',
      ],
    },
  },
  {
    label: 'values past column 80 fold at spaces',
    image: IMAGE,
    conda_file: {
      description: `${'word '.repeat(30)}end`,
      dependencies: ['python=3.10', { pip: [`git+https://example.com/${'x'.repeat(90)}`, `a ${'b'.repeat(85)} c d`] }],
    },
  },
  {
    label: 'nested mappings and sequences, numbers, booleans, empty collections',
    image: IMAGE,
    conda_file: { a: { b: [1, 2.5, true, false, null, [], {}], c: [[1, 2], { d: 'e', f: ['g'] }] }, z: 3 },
  },
];

/** Every inline environment of the corpus's YAML files (job and component files). */
function corpusCases(): Case[] {
  if (!existsSync(path.join(CORPUS_DIR, 'cli'))) return [];
  const cases: Case[] = [];
  const visit = (node: unknown, file: string): void => {
    if (Array.isArray(node)) node.forEach((n) => visit(n, file));
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'environment' && value && typeof value === 'object' && typeof (value as Case).image === 'string') {
          const env = value as { image: string; conda_file?: unknown };
          const conda =
            typeof env.conda_file === 'string'
              ? path.resolve(path.dirname(file), env.conda_file)
              : (env.conda_file as Record<string, unknown> | undefined);
          if (typeof conda === 'string' && !existsSync(conda)) continue;
          cases.push({
            label: path.relative(CORPUS_DIR, file),
            image: env.image,
            ...(conda ? { conda_file: conda } : {}),
          });
        }
        visit(value, file);
      }
    }
  };
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (/\.ya?ml$/.test(entry.name)) {
        try {
          visit(parse(readFileSync(file, 'utf8')), file);
        } catch {
          // Not YAML this test can read: the CLI would refuse it too.
        }
      }
    }
  };
  walk(path.join(CORPUS_DIR, 'cli'));
  return cases;
}

/** Ours: the conda file loaded as YAML 1.1 (PyYAML's version), dumped, and the version hashed. */
function ours(c: Case): { name: string; version: string; condaFile: string | null } {
  const conda =
    typeof c.conda_file === 'string'
      ? (parse(readFileSync(c.conda_file, 'utf8'), { version: '1.1' }) as unknown)
      : c.conda_file;
  const condaFile = conda === undefined ? null : pyYamlDump(conda);
  return {
    name: ANONYMOUS_ENVIRONMENT_NAME,
    version: anonymousEnvironmentVersion({ image: c.image, condaFile: condaFile ?? undefined }),
    condaFile,
  };
}

describeWithPython('inline environments, named as azure-ai-ml names them', () => {
  const cases = [...CRAFTED, ...corpusCases()];
  const run = spawnSync(PYTHON!, [HELPER], {
    input: JSON.stringify(cases.map(({ image, conda_file }) => ({ image, conda_file }))),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const theirs = (run.status === 0 ? JSON.parse(run.stdout) : []) as ReturnType<typeof ours>[];

  it('azure-ai-ml answered for every case', () => {
    expect(run.stderr).not.toMatch(/Traceback/);
    expect(theirs).toHaveLength(cases.length);
    // The corpus adds its own: dozens of inline environments when it is there.
    expect(cases.length).toBeGreaterThanOrEqual(existsSync(path.join(CORPUS_DIR, 'cli')) ? 50 : CRAFTED.length);
  });

  it.each(cases.map((c, i) => [c.label, i] as const))('%s', (_, i) => {
    expect(ours(cases[i]!)).toEqual(theirs[i]);
  });
});
