// The azure-ai-ml side of the corpus: each job file submitted by azure-ai-ml (load_job +
// jobs.create_or_update, the version python/requirements.lock pins) to the same prepared workspace,
// and its job PUT (with the component PUTs its steps point at) compared with action-pipeline's, with
// the parity suite's normalisation (tests/interop/bodyParity.ts). Every difference is listed below
// with its reason, or it fails tests/corpus/corpus.test.ts.

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { RunningEmulator } from '../../emulator/index.js';
import {
  DIFFERENCES_OF_EVERY_FILE,
  compareBodies,
  componentSpecs,
  knownDifference,
  normalise,
  sameData,
  type Difference,
  type KnownDifference,
} from '../interop/bodyParity.js';
import { PythonError, aml, requests, type LoggedRequest } from '../interop/helpers.js';

type Json = Record<string, unknown>;

/**
 * Where action-pipeline's body may differ from azure-ai-ml's for a corpus file, and why. `file` is
 * the path in the corpus (cli/...), or '*'. azure-ai-ml sends its own api-versions (2024-01-01-preview
 * for AutoML, 2025-x previews for others; emulator/arm/apiVersions.ts), action-pipeline 2024-04-01.
 */
export const CORPUS_DIFFERENCES: KnownDifference[] = [
  ...DIFFERENCES_OF_EVERY_FILE,
  {
    file: '*',
    field: 'properties.experimentName',
    reason:
      "by design: without experiment_name in the file, action-pipeline's experiment is the repository's name " +
      "(input 'experiment'), azure-ai-ml's the name of the file's folder",
  },
  {
    file: '*',
    field: '^properties\\.taskDetails\\.(training|validation|test)Data\\.uri$',
    when: sameData,
    reason: 'parity: the same data named in another form (as for job inputs above)',
  },
  // AutoML.
  {
    file: '*',
    field: '^properties\\.taskDetails\\.limitSettings\\.(sweepTrials|sweepConcurrentTrials|maxNodes)$',
    reason:
      'api-version: defaults azure-ai-ml sends at 2024-01-01-preview (0, 0; NLP maxNodes 1) that 2024-04-01 ' +
      'TableVerticalLimitSettings and NlpVerticalLimitSettings do not have (tests/unit/automlParity.test.ts)',
  },
  {
    file: '*',
    field: '^properties\\.jobs\\.[^.]+\\.limits\\.max_nodes$',
    reason: "api-version: an AutoML NLP step's limits.max_nodes default (1) that 2024-04-01 does not have",
  },
  {
    file: '*',
    field: 'properties.outputs.best_model.jobOutputType',
    when: (ours, theirs) => ours === 'mlflow_model' && theirs === undefined,
    reason: 'by design: action-pipeline declares the best_model output it registers (register-best-model-as)',
  },
  {
    file: '*',
    field: '^properties\\.resources\\.',
    when: (_, theirs) => theirs === undefined || theirs === null || typeof theirs !== 'object',
    reason:
      "azure-ai-ml bug: 1.35.2 sends an AutoML job's resources with snake_case keys and nulls (instance_type, " +
      'locations: null), which JobResourceConfiguration does not name; action-pipeline sends the camelCase of the spec',
  },
  // Pipeline steps and their anonymous components.
  {
    file: '*',
    field: '^properties\\.jobs\\.[^.]+\\.(trial\\.)?component\\.inputs\\.[^.]+\\.(default|min|max)$',
    // Python's str(): True/False for booleans.
    when: (ours, theirs) =>
      typeof theirs === 'string' &&
      (typeof ours === 'boolean'
        ? theirs === (ours ? 'True' : 'False')
        : typeof ours === 'number'
          ? Number(theirs) === ours // YAML's 0.0 is JavaScript's 0, Python's "0.0"
          : ours !== undefined && String(ours) === theirs),
    reason:
      'parity: azure-ai-ml sends component input defaults as strings ("2"); ours as YAML typed them (2). Kept: the ' +
      "spec's componentSpec is a free-form object (the CLI v2 component YAML, where an integer input's default is a number)",
  },
  {
    file: '*',
    field: '^properties\\.jobs\\.[^.]+\\.(trial\\.)?component\\.inputs\\.[^.]+\\.default$',
    when: (ours, theirs) => ours === undefined && theirs !== undefined,
    reason:
      "parity: an inline step's literal input is also the default of its anonymous component's input in azure-ai-ml; " +
      'ours sends it as the value of the step input only (the value the step runs with is the same)',
  },
  {
    file: '*',
    field: '^properties\\.jobs\\.[^.]+\\.(component\\.)?_source$',
    when: (ours, theirs) => ours === 'YAML.COMPONENT' && theirs === 'YAML.JOB',
    reason:
      "harmless: azure-ai-ml's own mark of where a component came from (its telemetry); 1.35.2 marks a step's " +
      'component file YAML.JOB when the pipeline file loads it (schema/pipeline/pipeline_component.py), ours YAML.COMPONENT',
  },
  {
    file: '*',
    field: '^properties\\.jobs\\.[^.]+\\.(trial\\.)?component\\.version$',
    when: (_, theirs) => theirs === '1',
    reason:
      "parity: azure-ai-ml's anonymous component spec carries version '1' whatever the component file says " +
      "(entities/_component/component.py: an anonymous component's name and version are its own); ours the file's " +
      'version. The component is found by its id (azureml_anonymous/<content hash>) in both; the spec is free-form',
  },
  {
    file: '*',
    field: '^properties\\.jobs\\.[^.]+\\.outputs\\.[^.]+\\.job_output_type$',
    when: (ours, theirs) => ours === 'uri_folder' && theirs === undefined,
    reason:
      'harmless: a step output declared without a type: ours names the default (uri_folder), azure-ai-ml sends none',
  },
  {
    file: '*',
    field: '^properties\\.(trial\\.)?environmentId$',
    when: (ours, theirs) =>
      typeof ours === 'string' &&
      typeof theirs === 'string' &&
      new RegExp(
        `/environments/${theirs.replace(/^azureml:([^@]+)@latest$/, '$1').replace(/[.]/g, '\\.')}/versions/`,
      ).test(ours),
    reason:
      'parity: for azureml:NAME@latest ours sends the version it resolved (the run shows what it ran on), azure-ai-ml ' +
      'the label, which Azure resolves',
  },
  {
    file: '*',
    field: 'properties.distribution.parameterServerCount',
    when: (ours, theirs) => ours === undefined && theirs === 0,
    reason: "harmless: azure-ai-ml sends TensorFlow's default parameter_server_count (0); ours leaves it out",
  },
  // The emulator refuses azure-ai-ml's body.
  ...[
    'cli/jobs/automl-standalone-jobs/cli-automl-text-classification-multilabel-paper-cat/cli-automl-text-classification-multilabel-paper-cat.yml',
    'cli/jobs/automl-standalone-jobs/cli-automl-text-classification-newsgroup/cli-automl-text-classification-newsgroup.yml',
    'cli/jobs/automl-standalone-jobs/cli-automl-text-ner-conll/cli-automl-text-ner-conll2003.yml',
  ].map((file) => ({
    file,
    field: '$status',
    reason:
      "emulator: refuses azure-ai-ml's NLP limitSettings.maxNodes at 2024-01-01-preview (validated against the " +
      '2024-04-01 swagger, which lacks it; emulator/arm/apiVersions.ts drops it only at 2022-10-01-preview)',
  })),
  {
    file: 'cli/jobs/automl-standalone-jobs/cli-automl-forecasting-task-github-dau/cli-automl-forecasting-task-github-dau.yml',
    field: '$status',
    reason:
      "azure-ai-ml bug: the emulator refuses its snake_case 'resources' keys (not properties of JobResourceConfiguration)",
  },
  // Bugs of action-pipeline: keys of the file it drops or sends otherwise (issue 20, "sent wrong").
  {
    file: '*',
    field: '^properties\\.(jobs\\.[^.]+\\.)?inputs\\.[^.]+\\.uri$',
    when: (ours, theirs) => typeof ours === 'string' && /@latest$/.test(ours) && typeof theirs === 'string',
    reason: "bug: ours sends a data input's azureml:NAME@latest unresolved; azure-ai-ml the version's ARM id",
  },
  {
    file: '*',
    field: '^properties\\.jobs\\.[^.]+\\.(component\\.)?(resources|distribution)\\.',
    when: (ours) => ours === undefined,
    reason: "bug: a step's and its component's resources.instance_count and distribution are dropped",
  },
  {
    file: '*',
    field: '^properties\\.jobs\\.[^.]+\\.(trial\\.)?component\\.outputs\\.[^.]+\\.description$',
    when: (ours) => ours === undefined,
    reason: "bug: a component output's description is dropped",
  },
  {
    file: '*',
    field: '^properties\\.jobs\\.[^.]+\\.(trial\\.)?component\\.outputs\\.[^.]+\\.(type|mode)$',
    reason:
      "bug: an inline step's output bound to a pipeline output takes its type and mode in azure-ai-ml (uri_file, " +
      'rw_mount); ours declares uri_folder without a mode',
  },
];

/** What azure-ai-ml did with one file: the job name it submitted under, or why it refused. */
export interface AzureAiMlResult {
  file: string;
  /** The name the job was PUT under (chosen here, so a refused PUT is found too). */
  jobName: string;
  /** azure-ai-ml's error (empty when it submitted). */
  error: string;
}

/** azure-ai-ml submits each file in turn, from the file's folder (one session for all). */
export async function submitWithAzureAiMl(
  emu: RunningEmulator,
  files: string[],
  dir: string,
  stable: (message: string) => string,
): Promise<AzureAiMlResult[]> {
  const out: AzureAiMlResult[] = [];
  for (const file of files) {
    const jobName = `aml_${randomBytes(6).toString('hex')}`;
    const abs = path.join(dir, file);
    const submit = () =>
      aml(emu, 'job-create', { file: abs, name: jobName }, { cwd: path.dirname(abs), timeoutMs: 300_000 });
    try {
      await submit().catch((error: unknown) => {
        // action-pipeline may be uploading the same content to the same LocalUpload key at this
        // moment (both clients address uploads by content): azure-ai-ml checked, then lost the
        // race to create the blob. Once more, it finds the blob and goes on, as a rerun would.
        if (error instanceof Error && /BlobAlreadyExists/.test(error.message)) return submit();
        throw error;
      });
      out.push({ file, jobName, error: '' });
    } catch (error) {
      // The message without the session's log (its traceback), which PythonError appends.
      const text = error instanceof Error ? error.message : String(error);
      const log = error instanceof PythonError ? `\n${error.stderr.slice(-4000)}` : '';
      const message = log && text.endsWith(log) ? text.slice(0, -log.length) : text;
      out.push({ file, jobName, error: stable(readableError(message)) });
    }
  }
  return out;
}

/**
 * azure-ai-ml's error on one line: its validation reports are JSON with escaped JSON inside and
 * terminal colours; what remains is the exception, the schema and the messages. The traceback
 * (after the message) is left out.
 */
export function readableError(message: string): string {
  const text = message
    .replace(/^azure-ai-ml job-create failed: /, '')
    .split(/\nTraceback \(most recent call last\)/)[0]!
    // Terminal colours (ESC [ … m).
    .replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '')
    .replace(/\\+[nt]/g, ' ')
    .replace(/\\+"/g, '"')
    .replace(/["{}[\]]/g, ' ')
    .replace(/\b(result: Failed,|errors:|message:|_schema:|path: \*,|value: null,?)/g, ' ')
    .replace(/\s*,(\s*,)+/g, ',')
    .replace(/\s+/g, ' ')
    .trim();
  // The advice azure-ai-ml appends to every schema error says nothing about this file.
  return text.split(/ If you are trying to configure| The easiest way to author| Visit this link/)[0]!.trim();
}

export type Parity = 'equal' | 'listed' | 'unlisted';

export interface ParityResult {
  parity: Parity;
  /** Every difference, listed or not. */
  differences: Difference[];
  /** The differences no row of CORPUS_DIFFERENCES allows. */
  unlisted: Difference[];
}

/** The job PUTs of the run by job name, and every component version registered. */
export async function submittedBodies(
  emu: RunningEmulator,
): Promise<{ jobs: Map<string, LoggedRequest>; components: Map<string, Json> }> {
  const log = await requests(emu, 'arm', 0);
  const jobs = new Map<string, LoggedRequest>();
  for (const r of log) {
    const m = r.method === 'PUT' ? /\/jobs\/([^/]+)$/.exec(r.path) : null;
    if (m) jobs.set(m[1]!, r);
  }
  return { jobs, components: componentSpecs(log) };
}

/** A logged job PUT as compared: its answer's status and its body, normalised (bodyParity.ts). */
export function comparableBody(put: LoggedRequest | undefined, components: Map<string, Json>): Json | undefined {
  return put ? { $status: put.status, ...(normalise(put.requestBody, components) as Json) } : undefined;
}

/** The two job bodies of one file compared; undefined when either client sent none. */
export function compareFile(file: string, ours: Json | undefined, theirs: Json | undefined): ParityResult | undefined {
  if (!ours || !theirs) return undefined;
  const differences = compareBodies(file, ours, theirs);
  const unlisted = differences.filter((d) => !knownDifference(CORPUS_DIFFERENCES, d));
  return {
    parity: differences.length === 0 ? 'equal' : unlisted.length === 0 ? 'listed' : 'unlisted',
    differences,
    unlisted,
  };
}

/** Rows of CORPUS_DIFFERENCES that allowed none of the differences found (to be removed). */
export function staleDifferences(found: Difference[]): KnownDifference[] {
  return CORPUS_DIFFERENCES.filter((k) => !found.some((d) => knownDifference(CORPUS_DIFFERENCES, d) === k));
}
