// action-pipeline's inputs, parsed once into a typed object: job file, publishing, schedule,
// run and wait settings, and the compute cluster, each checked before any request.

import { findIana, findWindows } from 'windows-iana';
import { NAME_RULES } from '../../shared/azure/names.js';
import { readCommonInputs, type CommonSettings } from '../../shared/azure/settings.js';
import { InputError } from '../../shared/errors.js';
import type { InputReader } from '../../shared/inputs/reader.js';

export const TIERS = ['dedicated', 'low-priority'] as const;
export type Tier = (typeof TIERS)[number];

export interface Override {
  /** Dotted path inside the job document, e.g. inputs.learning_rate */
  path: string;
  value: string;
}

export interface ComputeSettings {
  name: string;
  create: boolean;
  vmSize: string;
  minNodes: number;
  maxNodes: number;
  idleTimeBeforeScaleDownMs: number;
  tier: Tier;
}

export interface ScheduleSettings {
  cron: string;
  /** The time zone as Azure ML takes it (Windows name), and as the user wrote it. */
  timeZone: string;
  timeZoneInput: string;
  name: string | undefined;
}

export interface PipelineInputs {
  common: CommonSettings;
  job: string | undefined;
  overrides: Override[];
  publish: { componentName: string | undefined; componentVersion: string } | undefined;
  schedule: ScheduleSettings | undefined;
  run: boolean;
  experiment: string;
  /** True when the 'experiment' input was set (it then wins over the file's experiment_name). */
  experimentExplicit: boolean;
  displayName: string | undefined;
  wait: boolean;
  timeoutMs: number;
  cancelOnTimeout: boolean;
  streamLogs: boolean;
  compute: ComputeSettings | undefined;
  registerBestModelAs: string | undefined;
}

const OVERRIDE = /^([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*)=(.*)$/;
const VM_SIZE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function readPipelineInputs(reader: InputReader): PipelineInputs {
  const job = reader.path('job', { kind: 'file' });
  if (job !== undefined && !/\.ya?ml$/i.test(job)) {
    throw new InputError(
      reader.nameOf('job'),
      reader.raw('job'),
      'it must be an Azure ML CLI v2 job file ending in .yml or .yaml.',
    );
  }
  const overrides = reader.lines('set').map((line) => {
    const match = OVERRIDE.exec(line);
    if (!match?.[1])
      throw new InputError(
        reader.nameOf('set'),
        line,
        "each line must be 'path.inside.job=value', such as 'inputs.learning_rate=0.01'.",
      );
    return { path: match[1], value: match[2] ?? '' };
  });
  const publishRequested = reader.boolean('publish', false);
  const nameOptions = { pattern: NAME_RULES.asset.pattern, allowed: `it must be ${NAME_RULES.asset.allowed}` };
  const componentName = reader.optionalString('component-name', nameOptions);
  const componentVersion =
    reader.optionalString('component-version', {
      pattern: NAME_RULES.assetVersion.pattern,
      allowed: `it must be ${NAME_RULES.assetVersion.allowed}`,
    }) ?? 'auto';
  const schedule = readSchedule(reader);
  const run = reader.boolean('run', true);
  const computeName = reader.optionalString('compute', {
    pattern: NAME_RULES.compute.pattern,
    allowed: `it must be ${NAME_RULES.compute.allowed}`,
  });
  const createCompute = reader.boolean('create-compute', false);
  const minNodes = reader.integer('min-nodes', { min: 0, max: 1000 }, 0);
  const maxNodes = reader.integer('max-nodes', { min: 1, max: 1000 }, 4);
  if (minNodes > maxNodes)
    throw new InputError(reader.nameOf('min-nodes'), String(minNodes), `it must not exceed max-nodes (${maxNodes}).`);
  const compute: ComputeSettings | undefined =
    computeName === undefined
      ? undefined
      : {
          name: computeName,
          create: createCompute,
          vmSize:
            reader.optionalString('vm-size', {
              pattern: VM_SIZE,
              allowed: 'it must be a VM size such as Standard_DS3_v2.',
            }) ?? 'Standard_DS3_v2',
          minNodes,
          maxNodes,
          idleTimeBeforeScaleDownMs: reader.duration(
            'idle-time-before-scale-down',
            { minMs: 0, maxMs: 7 * 24 * 3_600_000 },
            '2m',
          ),
          tier: reader.enumeration('tier', TIERS, 'dedicated'),
        };
  if (createCompute && compute === undefined)
    throw new InputError(
      reader.nameOf('compute'),
      '',
      "it is required with 'create-compute: true' (the cluster name).",
    );

  const inputs: PipelineInputs = {
    common: readCommonInputs(reader),
    job,
    overrides,
    publish: publishRequested ? { componentName, componentVersion } : undefined,
    schedule,
    run,
    experiment:
      reader.optionalString('experiment', {
        pattern: NAME_RULES.experiment.pattern,
        allowed: `it must be ${NAME_RULES.experiment.allowed}`,
      }) ?? defaultExperiment(reader),
    experimentExplicit: reader.raw('experiment') !== '',
    displayName: reader.optionalString('display-name', { maxLength: 255 }),
    wait: reader.boolean('wait', true),
    timeoutMs: reader.duration('timeout', { minMs: 1000, maxMs: 5 * 24 * 3_600_000 }, '2h'),
    cancelOnTimeout: reader.boolean('cancel-on-timeout', true),
    streamLogs: reader.boolean('stream-logs', false),
    compute,
    registerBestModelAs: reader.optionalString('register-best-model-as', nameOptions),
  };
  if (job === undefined && (run || publishRequested)) {
    // Without a job file the step can only manage the cluster ('run' defaults to true, so the
    // runner always passes it: its value cannot tell whether the user asked to run something).
    if (!createCompute || publishRequested) {
      throw new InputError(
        reader.nameOf('job'),
        '',
        `it is required to ${publishRequested ? 'publish' : 'run'} a job (the path of an Azure ML CLI v2 job YAML); without it, only 'create-compute: true' with 'compute' can be done.`,
      );
    }
    inputs.run = false; // only create the compute cluster
  }
  if (schedule !== undefined && !publishRequested) {
    throw new InputError(
      reader.nameOf('schedule'),
      schedule.cron,
      "a schedule triggers the published pipeline; set 'publish: true' too.",
    );
  }
  if (
    !publishRequested &&
    (componentName !== undefined || (reader.raw('component-version') !== '' && componentVersion !== 'auto'))
  ) {
    throw new InputError(
      reader.nameOf('component-name'),
      componentName ?? componentVersion,
      "it applies when 'publish' is true.",
    );
  }
  return inputs;
}

function defaultExperiment(reader: InputReader): string {
  const repository = reader.env('GITHUB_REPOSITORY')?.split('/').pop() ?? 'azureml-actions';
  const cleaned = repository.replace(/[^a-zA-Z0-9._-]/g, '-').replace(/^[^a-zA-Z0-9]+/, '');
  return cleaned === '' ? 'azureml-actions' : cleaned.slice(0, 255);
}

function readSchedule(reader: InputReader): ScheduleSettings | undefined {
  const cron = reader.optionalString('schedule');
  const timeZoneInput = reader.optionalString('schedule-time-zone') ?? 'UTC';
  const name = reader.optionalString('schedule-name', {
    pattern: NAME_RULES.asset.pattern,
    allowed: `it must be ${NAME_RULES.asset.allowed}`,
  });
  const timeZone = toWindowsTimeZone(reader.nameOf('schedule-time-zone'), timeZoneInput);
  if (cron === undefined) return undefined;
  validateCron(reader.nameOf('schedule'), cron);
  return { cron, timeZone, timeZoneInput, name };
}

/** Azure ML schedules take Windows time zone names; users mostly know IANA names. */
export function toWindowsTimeZone(input: string, value: string): string {
  if (value === 'UTC' || value === 'Etc/UTC') return 'UTC';
  if (findIana(value).length > 0) return value; // already a Windows name
  const windows = isIanaTimeZone(value) ? findWindows(value)?.[0] : undefined;
  if (windows !== undefined) return windows;
  throw new InputError(
    input,
    value,
    "it must be an IANA time zone such as 'Europe/Berlin' or a Windows one such as 'W. Europe Standard Time'.",
  );
}

function isIanaTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return value.includes('/');
  } catch {
    return false;
  }
}

const CRON_FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 6 },
];

/** Checks a five-field cron expression as Azure ML schedules accept it. */
export function validateCron(input: string, cron: string): void {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) {
    throw new InputError(
      input,
      cron,
      "it must be a cron expression of five fields: 'minute hour day-of-month month day-of-week', such as '0 2 * * *'.",
    );
  }
  fields.forEach((field, index) => {
    const spec = CRON_FIELDS[index] ?? { name: 'field', min: 0, max: 59 };
    for (const part of field.split(',')) {
      const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
      const numbers = match
        ? [match[2], match[3], match[4]].filter((n): n is string => n !== undefined).map(Number)
        : [];
      const [start, end, step] = match
        ? [match[2], match[3], match[4]].map((n) => (n === undefined ? undefined : Number(n)))
        : [];
      const inRange = (n: number | undefined) => n === undefined || (n >= spec.min && n <= spec.max);
      const ok =
        match !== null &&
        inRange(start) &&
        inRange(end) &&
        (start === undefined || end === undefined || start <= end) &&
        (step === undefined || (step >= 1 && step <= spec.max)) &&
        numbers.every(Number.isInteger);
      if (!ok)
        throw new InputError(
          input,
          cron,
          `the ${spec.name} field '${part}' must be *, a number from ${spec.min} to ${spec.max}, a range, a list or a step.`,
        );
    }
  });
}
