// Microsoft's own sample job files (../shared/corpus/azureml-examples, what users already keep) run
// through the built action-pipeline against the emulator: which are submitted, which are refused and
// why, which crash. Used by `npm run corpus` and tests/corpus/corpus.test.ts (issue: real job files).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { RunningEmulator } from '../../emulator/index.js';
import { ClientAssertionCredential } from '@azure/identity';
import { ARM_SCOPE, start } from '../emulator/helpers.js';
import { requestIdToken } from '../harness/inProcess.js';
import { REPO_ROOT, runAction } from '../harness/runAction.js';
import { stopAml } from '../interop/helpers.js';
import { LINEAGE_DIFFERENCES, knownDifference } from '../interop/bodyParity.js';
import {
  CORPUS_DIFFERENCES,
  comparableBody,
  compareFile,
  submitWithAzureAiMl,
  submittedBodies,
  type ParityResult,
} from './parity.js';

export const CORPUS_DIR =
  process.env.AZUREML_CORPUS_DIR ?? path.join(REPO_ROOT, '..', 'shared', 'corpus', 'azureml-examples');
export const JOB_LIST = path.join(REPO_ROOT, 'tests', 'corpus', 'job-files.txt');
export const RESULTS_FILE = path.join(REPO_ROOT, 'tests', 'corpus', 'RESULTS.md');

const JOB_TYPES = new Set(['command', 'pipeline', 'sweep', 'automl', 'spark', 'finetuning', 'distillation']);

type Yaml = Record<string, unknown>;
const isRecord = (v: unknown): v is Yaml => typeof v === 'object' && v !== null && !Array.isArray(v);

function readYaml(file: string): Yaml | undefined {
  try {
    const doc: unknown = parse(readFileSync(file, 'utf8'));
    return isRecord(doc) ? doc : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A job file as the CLI reads it: its `$schema` names a job schema, or (without one) its `type` is a
 * job type, or it has a `command` and no `type` (a command job, the CLI's default).
 */
export function jobTypeOf(doc: Yaml): string | undefined {
  const schema = typeof doc.$schema === 'string' ? (doc.$schema.split('/').pop() ?? '') : '';
  const type = typeof doc.type === 'string' ? doc.type : undefined;
  if (schema) return schema.endsWith('Job.schema.json') ? (type ?? 'command') : undefined;
  if (type) return JOB_TYPES.has(type) ? type : undefined;
  return 'command' in doc ? 'command' : undefined;
}

/** Every YAML mapping under the corpus's cli/, with its path relative to the corpus. */
function yamlDocuments(dir: string): { file: string; doc: Yaml }[] {
  const out: { file: string; doc: Yaml }[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (/\.ya?ml$/.test(entry.name)) {
        const doc = readYaml(file);
        if (doc) out.push({ file: path.relative(dir, file), doc });
      }
    }
  };
  walk(path.join(dir, 'cli'));
  return out;
}

/** Every job file under the corpus's cli/, relative to the corpus, sorted. */
export function listJobFiles(dir = CORPUS_DIR): string[] {
  return yamlDocuments(dir)
    .filter(({ doc }) => jobTypeOf(doc))
    .map(({ file }) => file)
    .sort();
}

export function committedJobList(): string[] {
  return readFileSync(JOB_LIST, 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));
}

/** Every value under a key named `key`, anywhere in a document. */
function valuesOf(doc: unknown, key: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(doc)) for (const v of doc) valuesOf(v, key, out);
  else if (isRecord(doc))
    for (const [k, v] of Object.entries(doc)) {
      if (k === key) out.push(v);
      valuesOf(v, key, out);
    }
  return out;
}

/** `azureml:NAME@label` / `azureml:NAME:VERSION` → name and version (1 for a label). */
function namedReference(value: unknown): { name: string; version: string } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^azureml:([A-Za-z0-9_.-]+)(?:@[A-Za-z0-9_.-]+|:([A-Za-z0-9_.-]+))$/.exec(value.trim());
  return m ? { name: m[1]!, version: m[2] ?? '1' } : undefined;
}

/** What a user's workspace holds before they run these files: named clusters, data assets, components. */
export interface CorpusWorkspace {
  computes: string[];
  data: { name: string; version: string; type: string }[];
  components: { name: string; version: string; file: string }[];
}

export function workspaceNeeds(files: string[], dir = CORPUS_DIR): CorpusWorkspace {
  const computes = new Set<string>();
  const data = new Map<string, { name: string; version: string; type: string }>();
  const components = new Map<string, { name: string; version: string; file: string }>();
  const componentFiles = new Map<string, string>();
  for (const { file, doc } of yamlDocuments(dir)) {
    const schema = typeof doc.$schema === 'string' ? doc.$schema : '';
    if (typeof doc.name === 'string' && /Component\.schema\.json$/.test(schema)) componentFiles.set(doc.name, file);
  }
  for (const file of files) {
    const doc = readYaml(path.join(dir, file));
    for (const value of valuesOf(doc, 'compute')) {
      if (typeof value !== 'string') continue;
      const name = value.trim().replace(/^azureml:/, '');
      if (/^[A-Za-z][A-Za-z0-9-]*$/.test(name) && name !== 'serverless') computes.add(name);
    }
    for (const input of valuesOf(doc, 'inputs')
      .filter(isRecord)
      .flatMap((inputs) => Object.values(inputs))) {
      const ref = isRecord(input) ? namedReference(input.path) : undefined;
      if (ref && isRecord(input))
        data.set(`${ref.name}:${ref.version}`, {
          ...ref,
          type: typeof input.type === 'string' ? input.type : 'uri_folder',
        });
    }
    for (const value of valuesOf(doc, 'component')) {
      const ref = namedReference(value);
      const source = ref && componentFiles.get(ref.name);
      if (ref && source) components.set(`${ref.name}:${ref.version}`, { ...ref, file: source });
    }
  }
  return { computes: [...computes].sort(), data: [...data.values()], components: [...components.values()] };
}

async function armClient(emu: RunningEmulator) {
  // A GitHub ID token as core.getIDToken gets it, without @actions/core's ::add-mask:: line for
  // every token in this script's output.
  const credential = new ClientAssertionCredential(
    emu.tenantId,
    emu.clientId,
    () => requestIdToken(emu.env, emu.audience),
    { authorityHost: emu.authorityHost, disableInstanceDiscovery: true },
  );
  return async (method: string, route: string, body?: unknown): Promise<void> => {
    const token = (await credential.getToken(ARM_SCOPE)).token;
    const res = await fetch(`${emu.armUrl}${emu.workspaceId}${route}?api-version=2022-10-01`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`corpus workspace: ${method} ${route} answered ${res.status}: ${await res.text()}`);
    // Computes are long-running: wait until provisioning ends.
    const location = res.headers.get('azure-asyncoperation');
    for (let i = 0; location && i < 200; i++) {
      const status = (await (await fetch(location, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        status?: string;
      };
      if (status.status !== 'InProgress') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
}

/**
 * Creates what the files name and a user would have made first (`az ml compute create`,
 * `az ml data create`, `az ml component create`); a component stands in with the interface of the
 * corpus file that declares its name. Nothing else: curated and registry environments, models and
 * components are the emulator's to hold, as every Azure ML workspace does.
 */
export async function prepareWorkspace(emu: RunningEmulator, needs: CorpusWorkspace, dir = CORPUS_DIR): Promise<void> {
  const arm = await armClient(emu);
  for (const name of needs.computes)
    await arm('PUT', `/computes/${name}`, {
      location: emu.location,
      properties: {
        computeType: 'AmlCompute',
        properties: { vmSize: 'Standard_DS3_v2', scaleSettings: { minNodeCount: 0, maxNodeCount: 4 } },
      },
    });
  for (const d of needs.data)
    await arm('PUT', `/data/${d.name}/versions/${d.version}`, {
      properties: {
        dataType: d.type,
        dataUri: `azureml://datastores/workspaceblobstore/paths/corpus/${d.name}/${d.type === 'uri_file' ? 'data.csv' : ''}`,
      },
    });
  if (needs.components.length > 0)
    await arm('PUT', '/environments/corpus-component-env/versions/1', {
      properties: { image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04' },
    });
  for (const c of needs.components) {
    const doc = readYaml(path.join(dir, c.file)) ?? {};
    const type = typeof doc.type === 'string' ? doc.type : 'command';
    await arm('PUT', `/components/${c.name}/versions/${c.version}`, {
      properties: {
        componentSpec: {
          name: c.name,
          version: c.version,
          type,
          ...(isRecord(doc.inputs) ? { inputs: doc.inputs } : {}),
          ...(isRecord(doc.outputs) ? { outputs: doc.outputs } : {}),
          ...(type === 'command'
            ? { command: doc.command, environment: `${emu.workspaceId}/environments/corpus-component-env/versions/1` }
            : { jobs: {} }),
        },
      },
    });
  }
}

export type Outcome = 'submitted' | 'refused' | 'crashed';

export interface CorpusResult {
  file: string;
  type: string;
  outcome: Outcome;
  /** The error with this file's own names, paths, numbers and quoted values taken out (for grouping). */
  cause: string;
  /** The error as the step printed it (empty when submitted). */
  message: string;
  /** The job name action-pipeline PUT the job under (also when the emulator refused it). */
  runId?: string;
  /** What azure-ai-ml did with the same file: its error, empty when it submitted (parity.ts). */
  azureAiMl?: { error: string };
  /** The job bodies each client sent, as compared (normalised, components inlined). */
  bodies?: { ours: Record<string, unknown> | undefined; theirs: Record<string, unknown> | undefined };
  /** The two job bodies compared, when both clients sent one. */
  parity?: ParityResult;
}

/** One error's cause: the first line, without the file location and the file's own values. */
export function causeOf(message: string): string {
  const first = (message.split('\n')[0] ?? '').trim();
  return (
    first
      .replace(/^[^\s:]+\.ya?ml(?::\d+(?::\d+)?)?:?\s*/, '')
      .replace(/\bcli\/[^\s')]+/g, '…')
      // A quoted value starts after a space or bracket and ends before one (so "'x''s" and "action's" hold).
      .replace(/(^|[\s(:,[])'[^']*'(?=$|[\s).,;:\]]|'s\b)/g, "$1'…'")
      .replace(/"[^"]*"/g, '"…"')
      .replace(/`[^`]*`/g, '`…`')
      .replace(/\$\{\{[^}]*\}\}/g, '${{…}}')
      .replace(/\b\d+(\.\d+)*\b/g, 'N')
      .slice(0, 160)
  );
}

/** A message without what differs from run to run: the corpus's folder, ports, ids, times. */
function stable(message: string, dir: string): string {
  return message
    .split(`${dir}${path.sep}`)
    .join('')
    .replace(/https:\/\/127\.0\.0\.1:\d+/g, 'https://emulator')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z?/g, '<time>');
}

/** Runs one corpus job file through the built action-pipeline (submit, do not wait). */
export async function runJobFile(emu: RunningEmulator, file: string, dir = CORPUS_DIR): Promise<CorpusResult> {
  const type = jobTypeOf(readYaml(path.join(dir, file)) ?? {}) ?? 'unknown';
  const run = await runAction({
    action: 'action-pipeline',
    inputs: { job: file, wait: 'false' },
    env: emu.env,
    workspace: dir,
    timeoutMs: 120_000,
  });
  // A job the emulator refused was PUT too: its name is in the error ("submitting job NAME").
  const runId = run.outputs['run-id'] ?? /submitting job ([A-Za-z0-9_-]+)/.exec(run.log)?.[1];
  if (run.exitCode === 0) return { file, type, outcome: 'submitted', cause: '', message: '', runId };
  const message = stable(
    run.annotations.find((a) => a.level === 'error')?.message ?? run.log.trim().split('\n').slice(-1)[0] ?? '',
    dir,
  );
  const crashed = /unexpected error \(a bug\)/.test(message);
  return {
    file,
    type,
    outcome: crashed ? 'crashed' : 'refused',
    cause: causeOf(message),
    message,
    ...(runId ? { runId } : {}),
  };
}

/** All files, `concurrency` at a time (each run is its own node process). */
export async function runCorpus(
  emu: RunningEmulator,
  files: string[],
  options: { concurrency?: number; progress?: (done: number, result: CorpusResult) => void; dir?: string } = {},
): Promise<CorpusResult[]> {
  const results: CorpusResult[] = new Array(files.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < files.length; i = next++) {
      results[i] = await runJobFile(emu, files[i]!, options.dir);
      options.progress?.(++done, results[i]!);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 2 }, worker));
  return results;
}

/**
 * The whole measure: a fresh emulator, the workspace a user would have, every file run through
 * action-pipeline and, at the same time in one session, through azure-ai-ml; then the two job
 * bodies of each file compared.
 */
export async function measureCorpus(
  files: string[],
  progress?: (done: number, result: CorpusResult) => void,
  dir = CORPUS_DIR,
): Promise<CorpusResult[]> {
  const emu = await start({ azurite: true, settings: { specValidation: 'requests' } });
  try {
    await prepareWorkspace(emu, workspaceNeeds(files, dir), dir);
    const [results, theirs] = await Promise.all([
      runCorpus(emu, files, { dir, ...(progress ? { progress } : {}) }),
      submitWithAzureAiMl(emu, files, dir, (m) => stable(m, dir)),
    ]);
    const { jobs, components } = await submittedBodies(emu);
    return results.map((r, i) => {
      const aml = theirs[i]!;
      const bodies = {
        ours: comparableBody(r.runId ? jobs.get(r.runId) : undefined, components),
        theirs: comparableBody(jobs.get(aml.jobName), components),
      };
      const parity = compareFile(r.file, bodies.ours, bodies.theirs);
      return { ...r, azureAiMl: { error: aml.error }, bodies, ...(parity ? { parity } : {}) };
    });
  } finally {
    stopAml(emu);
    await emu.stop();
  }
}

/** The line that dates a report; it is the one line a rerun may change. */
const MEASURED = /^Measured: .*\n/m;

/** A report without its date, for comparing two measures. */
export function undated(report: string): string {
  return report.replace(MEASURED, '');
}

/** The committed report: when, a table per job type and outcome, one per cause, then every file. */
export function formatResults(results: CorpusResult[], measuredAt = new Date()): string {
  const count = (pred: (r: CorpusResult) => boolean) => results.filter(pred).length;
  const types = [...new Set(results.map((r) => r.type))].sort();
  const submitted = count((r) => r.outcome === 'submitted');
  const lines = [
    "# Microsoft's sample job files through action-pipeline",
    '',
    `Generated by \`npm run corpus -- --write\` (tests/corpus/corpus.ts) from ${results.length} job files of`,
    'Azure/azureml-examples (../shared/corpus); tests/corpus/corpus.test.ts regenerates it and fails on any',
    'difference. Submitted means action-pipeline sent the job and the emulator accepted it (`wait: false`).',
    '',
    `Measured: ${measuredAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `**${submitted} of ${results.length} submitted (${((100 * submitted) / Math.max(1, results.length)).toFixed(0)} %)**, ${count((r) => r.outcome === 'refused')} refused, ${count((r) => r.outcome === 'crashed')} crashed.`,
    '',
    '| job type | files | submitted | refused | crashed |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...types.map((t) => {
      const of = results.filter((r) => r.type === t);
      const n = (o: Outcome) => of.filter((r) => r.outcome === o).length;
      return `| ${t} | ${of.length} | ${n('submitted')} | ${n('refused')} | ${n('crashed')} |`;
    }),
    '',
    '## Causes',
    '',
    '| files | outcome | cause (values of each file replaced by …) |',
    '| ---: | --- | --- |',
  ];
  const causes = new Map<string, number>();
  for (const r of results)
    if (r.outcome !== 'submitted')
      causes.set(`${r.outcome}\t${r.cause}`, (causes.get(`${r.outcome}\t${r.cause}`) ?? 0) + 1);
  for (const [key, n] of [...causes].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
    const [outcome, cause] = key.split('\t') as [string, string];
    lines.push(`| ${n} | ${outcome} | ${escapeCell(cause)} |`);
  }
  lines.push(...formatParity(results));
  lines.push(
    '',
    '## Files',
    '',
    '| file | type | outcome | message | azure-ai-ml | body parity |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const r of results)
    lines.push(
      `| ${r.file} | ${r.type} | ${r.outcome} | ${escapeCell((r.message.split('\n')[0] ?? '').slice(0, 300))} | ${escapeCell(azureAiMlCell(r))} | ${escapeCell(parityCell(r))} |`,
    );
  return `${lines.join('\n')}\n`;
}

const azureAiMlCell = (r: CorpusResult): string =>
  !r.azureAiMl ? '' : r.azureAiMl.error ? `refused: ${r.azureAiMl.error.slice(0, 200)}` : 'submitted';

function parityCell(r: CorpusResult): string {
  if (!r.parity) return '';
  if (r.parity.parity === 'equal') return 'equal';
  const listed = r.parity.differences.length - r.parity.unlisted.length;
  if (r.parity.parity === 'listed') return `listed differences (${listed} fields)`;
  return `UNLISTED: ${r.parity.unlisted.map((d) => d.field).join(', ')}`;
}

/** The weightiest kind of listed difference of a file whose differences are all listed. */
function worst(r: CorpusResult): 'by design' | 'harmless' | 'other client' | 'bug' | undefined {
  if (r.parity?.parity !== 'listed') return undefined;
  const rows = r.parity.differences.flatMap((d) => knownDifference(CORPUS_DIFFERENCES, d) ?? []);
  const reasons = rows.map((row) => row.reason);
  if (reasons.some((x) => x.startsWith('bug:'))) return 'bug';
  if (reasons.some((x) => /^(emulator|azure-ai-ml bug):/.test(x))) return 'other client';
  if (rows.some((row) => !LINEAGE_DIFFERENCES.includes(row) && !row.reason.startsWith('by design:'))) return 'harmless';
  return 'by design';
}

/** The parity section: how many files' bodies are equal, differ only as listed, or otherwise; the listed rows that occur. */
function formatParity(results: CorpusResult[]): string[] {
  const count = (pred: (r: CorpusResult) => boolean) => results.filter(pred).length;
  const amlSubmitted = (r: CorpusResult) => r.azureAiMl !== undefined && !r.azureAiMl.error;
  const ours = (r: CorpusResult) => r.outcome === 'submitted';
  const lines = [
    '',
    `## Request bodies beside azure-ai-ml's`,
    '',
    'Each file is also submitted by azure-ai-ml (python/requirements.lock, `load_job` + `jobs.create_or_update`,',
    "from the file's folder) to the same workspace, and the two job PUT bodies (with the anonymous components",
    'their steps point at) are compared as tests/interop/parity.test.ts compares them (tests/interop/bodyParity.ts).',
    'A difference is allowed only by a row of CORPUS_DIFFERENCES (tests/corpus/parity.ts) with its reason.',
    '',
    '| files | |',
    '| ---: | --- |',
    `| ${count((r) => r.parity !== undefined)} | both sent a job: |`,
    `| ${count((r) => r.parity?.parity === 'equal')} | equal bodies |`,
    `| ${count((r) => worst(r) === 'by design')} | equal but for action-pipeline's lineage, naming and experiment (by design) and isArchived |`,
    `| ${count((r) => worst(r) === 'harmless')} | also harmless, parity or api-version differences (listed) |`,
    `| ${count((r) => worst(r) === 'other client')} | also a listed refusal of azure-ai-ml's body by the emulator (emulator or azure-ai-ml issue) |`,
    `| ${count((r) => worst(r) === 'bug')} | also a listed bug of action-pipeline (a key dropped or sent otherwise) |`,
    `| ${count((r) => r.parity?.parity === 'unlisted')} | unlisted differences (a failure) |`,
    `| ${count((r) => ours(r) && amlSubmitted(r) && !r.parity)} | both submitted, a body not found (a failure) |`,
    `| ${count((r) => ours(r) && !amlSubmitted(r) && !r.parity)} | action-pipeline submitted, azure-ai-ml refused before sending |`,
    `| ${count((r) => !ours(r) && amlSubmitted(r))} | azure-ai-ml submitted, action-pipeline refused |`,
    `| ${count((r) => !ours(r) && !amlSubmitted(r))} | both refused |`,
    '',
    'A sent job counts also when the emulator refused it: its status is compared (`$status`).',
    '',
    '| files | field | reason |',
    '| ---: | --- | --- |',
  ];
  for (const row of CORPUS_DIFFERENCES) {
    const files = count(
      (r) => r.parity?.differences.some((d) => knownDifference(CORPUS_DIFFERENCES, d) === row) ?? false,
    );
    if (files > 0)
      lines.push(
        `| ${files} | ${escapeCell(`${row.file === '*' ? '' : `${row.file}: `}${row.field}`)} | ${escapeCell(row.reason)} |`,
      );
  }
  return lines;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

export function corpusAvailable(dir = CORPUS_DIR): boolean {
  return existsSync(path.join(dir, 'cli', 'jobs'));
}
