// The REST shapes of an AutoML task read by ./read.ts: a job's taskDetails (AutoMLJob, 2024-04-01)
// and a pipeline node of type automl in the form azure-ai-ml 1.35 sends (captured:
// tests/fixtures/automl-bodies/). Pure: the URIs of uploaded local MLTable folders come in `dataUri`.

import type { JobInput } from '../jobFile.js';
import { DATA_KEYS, type AutoMLSpec, type DataKey } from './read.js';

type Json = Record<string, unknown>;

const INPUT_MODES: Record<string, string> = {
  ro_mount: 'ReadOnlyMount',
  rw_mount: 'ReadWriteMount',
  download: 'Download',
  direct: 'Direct',
  eval_mount: 'EvalMount',
  eval_download: 'EvalDownload',
};

/** The URI a data input is sent with: its upload's for a local folder, else as written. */
export type DataUri = (input: JobInput) => string;

/** taskDetails of an AutoMLJob: the task's fields with its data as MLTableJobInputs. */
export function taskDetails(spec: AutoMLSpec, dataUri: DataUri): Json {
  const details: Json = { ...spec.taskDetails };
  for (const [key, rest] of Object.entries(DATA_KEYS)) {
    const input = spec.data[key as DataKey];
    if (!input) continue;
    if (input.kind === 'binding') details[rest] = { jobInputType: 'mltable', uri: input.expression };
    else if (input.kind === 'data')
      details[rest] = {
        jobInputType: 'mltable',
        uri: dataUri(input),
        ...(input.mode ? { mode: INPUT_MODES[input.mode] } : {}),
      };
  }
  return details;
}

/**
 * The task's fields in a pipeline node, as azure-ai-ml writes an AutoML node: snake_case keys as in
 * the YAML, its data as the binding written (`${{parent.inputs.x}}`) or as an MLTable input.
 */
export function nodeTaskFields(spec: AutoMLSpec, dataUri: DataUri): Json {
  const fields: Json = { ...spec.nodeFields };
  for (const key of Object.keys(DATA_KEYS)) {
    const input = spec.data[key as DataKey];
    if (!input) continue;
    if (input.kind === 'binding') fields[key] = input.expression;
    else if (input.kind === 'data')
      fields[key] = {
        type: 'mltable',
        path: dataUri(input),
        ...(input.mode ? { mode: input.mode } : {}),
      };
  }
  return fields;
}
