// Sweep jobs and sweep steps as azure-ai-ml 1.35 reads them (its _schema/_sweep marshmallow schemas:
// sampling_algorithm, search_space, objective, limits, early_termination, queue_settings, trial) and
// the REST shapes it sends: SweepJob at 2024-04-01 for a job, the YAML-shaped node for a pipeline step.

import { isMap, isScalar, isSeq, type Node } from 'yaml';
import type { CommandSpec, CommonJobFields } from '../jobFile.js';
import { readCommandSpec } from '../jobFile.js';
import { entries, fields, integer, oneOf, scalar, text, type Field, type YamlSource } from '../yamlSource.js';

export const SWEEP_KEYS = [
  'sampling_algorithm',
  'search_space',
  'objective',
  'early_termination',
  'limits',
  'queue_settings',
  'trial',
] as const;

const SAMPLING = { random: 'Random', grid: 'Grid', bayesian: 'Bayesian' } as const;
const POLICIES = {
  bandit: 'Bandit',
  median_stopping: 'MedianStopping',
  truncation_selection: 'TruncationSelection',
} as const;
/** The parameters of each distribution, in the order its REST form lists them (search_space.py). */
const DISTRIBUTIONS: Record<string, readonly string[]> = {
  uniform: ['min_value', 'max_value'],
  loguniform: ['min_value', 'max_value'],
  quniform: ['min_value', 'max_value', 'q'],
  qloguniform: ['min_value', 'max_value', 'q'],
  normal: ['mu', 'sigma'],
  lognormal: ['mu', 'sigma'],
  qnormal: ['mu', 'sigma', 'q'],
  qlognormal: ['mu', 'sigma', 'q'],
  randint: ['upper'],
  choice: ['values'],
};

type Json = Record<string, unknown>;

/** A search space parameter as written (the node form) and as SweepJob.searchSpace takes it. */
export interface Distribution {
  yaml: Json;
  rest: unknown[];
}

export interface SweepSettings {
  samplingAlgorithm: { type: keyof typeof SAMPLING; seed: number | undefined; rule: 'random' | 'sobol' | undefined };
  /** Whether the file wrote the algorithm as a bare name (a node sends it back as written). */
  samplingWrittenAsName: boolean;
  searchSpace: Record<string, Distribution>;
  objective: { goal: 'minimize' | 'maximize'; primaryMetric: string };
  limits: {
    maxTotalTrials: number | undefined;
    maxConcurrentTrials: number | undefined;
    timeout: number | undefined;
    trialTimeout: number | undefined;
  };
  earlyTermination:
    | {
        type: keyof typeof POLICIES;
        delayEvaluation: number | undefined;
        evaluationInterval: number | undefined;
        slackFactor: number | undefined;
        slackAmount: number | undefined;
        truncationPercentage: number | undefined;
      }
    | undefined;
  queueSettings: { jobTier: string | undefined } | undefined;
}

function numberOf(source: YamlSource, field: Field | undefined, what: string): number | undefined {
  const value = scalar(source, field, what);
  if (value === undefined) return undefined;
  if (typeof value !== 'number') {
    source.report(field?.value, `${what} must be a number.`);
    return undefined;
  }
  return value;
}

/** A choice value: a number, a string, or a mapping whose values may be distributions themselves. */
function choiceValue(source: YamlSource, node: Node, what: string): { yaml: unknown; rest: unknown } | undefined {
  if (isMap(node)) {
    const yaml: Json = {};
    const rest: Json = {};
    for (const entry of entries(source, node, what)) {
      if (entry.value && isMap(entry.value)) {
        const nested = readDistribution(source, entry, `${what} '${entry.key}'`);
        if (nested) {
          yaml[entry.key] = nested.yaml;
          rest[entry.key] = nested.rest;
        }
      } else {
        const value = scalar(source, entry, `${what} '${entry.key}'`);
        if (value !== undefined) yaml[entry.key] = rest[entry.key] = value;
      }
    }
    return { yaml, rest };
  }
  if (isScalar(node) && ['string', 'number', 'boolean'].includes(typeof node.value))
    return { yaml: node.value, rest: node.value };
  source.report(node, `${what} must be a number, a string or a mapping.`);
  return undefined;
}

function readDistribution(source: YamlSource, entry: Field, what: string): Distribution | undefined {
  if (!entry.value || !isMap(entry.value)) {
    source.report(entry.value ?? entry.keyNode, `${what} must be a mapping with 'type' and its parameters.`);
    return undefined;
  }
  const type = text(source, fieldsQuiet(entry.value, ['type']).get('type'), `${what}'s 'type'`);
  const parameters = type === undefined ? undefined : DISTRIBUTIONS[type];
  if (!parameters) {
    source.report(
      entry.value,
      type === undefined
        ? `${what} needs 'type': ${Object.keys(DISTRIBUTIONS).join(', ')}.`
        : `${what}'s 'type' is '${type}'; allowed values are ${Object.keys(DISTRIBUTIONS).join(', ')}.`,
    );
    return undefined;
  }
  const f = fieldsQuiet(entry.value, ['type', ...parameters]);
  for (const extra of entries(source, entry.value, what))
    if (![...parameters, 'type'].includes(extra.key))
      source.report(
        extra.keyNode,
        `${what} (${type}) has an unknown field '${extra.key}'. Allowed: type, ${parameters.join(', ')}.`,
      );
  if (type === 'choice') {
    const valuesNode = f.get('values')?.value ?? null;
    if (!valuesNode || !isSeq(valuesNode)) {
      source.report(valuesNode ?? entry.keyNode, `${what} (choice) needs 'values', a list.`);
      return undefined;
    }
    const values = valuesNode.items.map((item, i) => choiceValue(source, item as Node, `${what} value ${i + 1}`));
    if (values.some((v) => v === undefined)) return undefined;
    const defined = values as { yaml: unknown; rest: unknown }[];
    return { yaml: { type, values: defined.map((v) => v.yaml) }, rest: [type, [defined.map((v) => v.rest)]] };
  }
  const numbers: number[] = [];
  const yaml: Json = { type };
  for (const parameter of parameters) {
    const field = f.get(parameter);
    if (!field) {
      source.report(entry.keyNode, `${what} (${type}) needs '${parameter}'.`);
      return undefined;
    }
    const value =
      parameter === 'upper'
        ? integer(source, field, `${what}'s 'upper'`, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
        : numberOf(source, field, `${what}'s '${parameter}'`);
    if (value === undefined) return undefined;
    numbers.push(value);
    yaml[parameter] = value;
  }
  return { yaml, rest: [type, numbers] };
}

/** The fields of a mapping by key, without reporting (the caller reports what it refuses). */
function fieldsQuiet(node: Node | null, keys: readonly string[]): Map<string, Field> {
  const result = new Map<string, Field>();
  if (!node || !isMap(node)) return result;
  for (const pair of node.items) {
    const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
    if (keys.includes(key))
      result.set(key, { key, keyNode: pair.key as Node, value: (pair.value as Node | null) ?? null });
  }
  return result;
}

/** The sweep settings of a sweep job or step (`f` holds the owner's fields). */
export function readSweepSettings(source: YamlSource, f: Map<string, Field>, owner: string): SweepSettings | undefined {
  const anchor = source.document.contents as Node;
  let samplingAlgorithm: SweepSettings['samplingAlgorithm'] | undefined;
  const samplingField = f.get('sampling_algorithm');
  const samplingWrittenAsName = !(samplingField?.value && isMap(samplingField.value));
  if (!samplingField) source.report(anchor, `${owner} needs 'sampling_algorithm': random, grid or bayesian.`);
  else if (samplingWrittenAsName) {
    const type = oneOf(
      source,
      samplingField,
      "'sampling_algorithm'",
      Object.keys(SAMPLING) as (keyof typeof SAMPLING)[],
    );
    if (type) samplingAlgorithm = { type, seed: undefined, rule: undefined };
  } else {
    const s = fields(source, samplingField.value, "'sampling_algorithm'", ['type', 'seed', 'rule', 'logbase']);
    const type = oneOf(
      source,
      s.get('type'),
      "sampling_algorithm's 'type'",
      Object.keys(SAMPLING) as (keyof typeof SAMPLING)[],
    );
    if (!s.has('type'))
      source.report(samplingField.keyNode, "'sampling_algorithm' needs 'type': random, grid or bayesian.");
    // RandomSamplingAlgorithm in the 2024-04-01 swagger has rule and seed; logbase is preview-only.
    if (s.has('logbase'))
      source.report(
        s.get('logbase')?.keyNode,
        "sampling_algorithm's 'logbase' is not in Azure ML's stable REST API (2024-04-01, which action-pipeline submits to), only in preview versions; remove it or submit this file with az ml job create.",
      );
    for (const key of ['seed', 'rule'])
      if (type !== 'random' && s.has(key))
        source.report(s.get(key)?.keyNode, `sampling_algorithm's '${key}' belongs to type random only.`);
    if (type)
      samplingAlgorithm = {
        type,
        seed: integer(source, s.get('seed'), "sampling_algorithm's 'seed'", 0, 2 ** 31 - 1),
        rule: oneOf(source, s.get('rule'), "sampling_algorithm's 'rule'", ['random', 'sobol'] as const),
      };
  }
  const searchSpace: Record<string, Distribution> = {};
  const spaceField = f.get('search_space');
  if (!spaceField) source.report(anchor, `${owner} needs 'search_space': the parameters to sweep.`);
  for (const entry of entries(source, spaceField?.value ?? null, "'search_space'")) {
    // azure-ai-ml's validate_key_contains_allowed_characters: letters, digits and '_'.
    if (!/^[A-Za-z0-9_]+$/.test(entry.key))
      source.report(entry.keyNode, `search_space parameter '${entry.key}' may hold letters, digits and '_' only.`);
    const distribution = readDistribution(source, entry, `search_space '${entry.key}'`);
    if (distribution) searchSpace[entry.key] = distribution;
  }
  const o = fields(source, f.get('objective')?.value ?? null, "'objective'", ['goal', 'primary_metric']);
  if (!f.has('objective')) source.report(anchor, `${owner} needs 'objective' (goal, primary_metric).`);
  const goal = oneOf(source, o.get('goal'), "objective's 'goal'", ['minimize', 'maximize'] as const);
  const primaryMetric = text(source, o.get('primary_metric'), "objective's 'primary_metric'");
  if (f.has('objective') && !o.has('goal')) source.report(f.get('objective')?.keyNode, "'objective' needs 'goal'.");
  if (f.has('objective') && primaryMetric === undefined)
    source.report(f.get('objective')?.keyNode, "'objective' needs 'primary_metric'.");
  const l = fields(source, f.get('limits')?.value ?? null, "'limits'", [
    'max_total_trials',
    'max_concurrent_trials',
    'timeout',
    'trial_timeout',
  ]);
  if (!f.has('limits')) source.report(anchor, `${owner} needs 'limits' with 'max_total_trials'.`);
  else if (!l.has('max_total_trials')) source.report(f.get('limits')?.keyNode, "'limits' needs 'max_total_trials'.");
  const limits = {
    maxTotalTrials: integer(source, l.get('max_total_trials'), "'max_total_trials'", 1, 1_000_000),
    maxConcurrentTrials: integer(source, l.get('max_concurrent_trials'), "'max_concurrent_trials'", 1, 1_000_000),
    timeout: integer(source, l.get('timeout'), "limits' 'timeout' (seconds)", 1, 10 ** 9),
    trialTimeout: integer(source, l.get('trial_timeout'), "limits' 'trial_timeout' (seconds)", 1, 10 ** 9),
  };
  let earlyTermination: SweepSettings['earlyTermination'];
  const earlyField = f.get('early_termination');
  if (earlyField) {
    const e = fields(source, earlyField.value, "'early_termination'", [
      'type',
      'delay_evaluation',
      'evaluation_interval',
      'slack_factor',
      'slack_amount',
      'truncation_percentage',
    ]);
    const type = oneOf(
      source,
      e.get('type'),
      "early_termination's 'type'",
      Object.keys(POLICIES) as (keyof typeof POLICIES)[],
    );
    if (!e.has('type'))
      source.report(
        earlyField.keyNode,
        "'early_termination' needs 'type': bandit, median_stopping or truncation_selection.",
      );
    const only = (key: string, policy: string) => {
      if (e.has(key) && type !== policy)
        source.report(e.get(key)?.keyNode, `early_termination's '${key}' belongs to type ${policy} only.`);
    };
    only('slack_factor', 'bandit');
    only('slack_amount', 'bandit');
    only('truncation_percentage', 'truncation_selection');
    if (type)
      earlyTermination = {
        type,
        delayEvaluation: integer(source, e.get('delay_evaluation'), "'delay_evaluation'", 0, 1_000_000),
        evaluationInterval: integer(source, e.get('evaluation_interval'), "'evaluation_interval'", 0, 1_000_000),
        slackFactor: numberOf(source, e.get('slack_factor'), "'slack_factor'"),
        slackAmount: numberOf(source, e.get('slack_amount'), "'slack_amount'"),
        truncationPercentage: integer(source, e.get('truncation_percentage'), "'truncation_percentage'", 1, 99),
      };
  }
  let queueSettings: SweepSettings['queueSettings'];
  const queueField = f.get('queue_settings');
  if (queueField) {
    const q = fields(source, queueField.value, "'queue_settings'", ['job_tier', 'priority']);
    // QueueSettings in the 2024-04-01 swagger has jobTier only; priority is preview-only.
    if (q.has('priority'))
      source.report(
        q.get('priority')?.keyNode,
        "queue_settings' 'priority' is not in Azure ML's stable REST API (2024-04-01, which action-pipeline submits to); remove it or submit this file with az ml job create.",
      );
    queueSettings = {
      jobTier: oneOf(source, q.get('job_tier'), "queue_settings' 'job_tier'", [
        'null',
        'spot',
        'basic',
        'standard',
        'premium',
      ] as const),
    };
  }
  if (!samplingAlgorithm || !goal || primaryMetric === undefined || !f.has('limits') || !spaceField) return undefined;
  return {
    samplingAlgorithm,
    samplingWrittenAsName,
    searchSpace,
    objective: { goal, primaryMetric },
    limits,
    earlyTermination,
    queueSettings,
  };
}

/** Seconds as azure-ai-ml writes them (isodate.duration_isoformat of a timedelta): 3600 → PT1H. */
export function isoDuration(seconds: number): string {
  const days = Math.floor(seconds / 86400);
  let rest = seconds - days * 86400;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  rest -= minutes * 60;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${rest ? `${rest}S` : ''}`;
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : days ? '' : 'T0S'}`;
}

function dropUndefined(record: Json): Json {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}

/** The SweepJob properties that are not a command's: REST form (2024-04-01 swagger). */
export function sweepRestSettings(sweep: SweepSettings): Json {
  const { limits, earlyTermination: early, samplingAlgorithm: sampling } = sweep;
  return dropUndefined({
    searchSpace: Object.fromEntries(Object.entries(sweep.searchSpace).map(([k, d]) => [k, d.rest])),
    samplingAlgorithm: dropUndefined({
      samplingAlgorithmType: SAMPLING[sampling.type],
      seed: sampling.seed,
      rule: sampling.rule === undefined ? undefined : sampling.rule === 'sobol' ? 'Sobol' : 'Random',
    }),
    limits: dropUndefined({
      jobLimitsType: 'Sweep',
      maxConcurrentTrials: limits.maxConcurrentTrials,
      maxTotalTrials: limits.maxTotalTrials,
      timeout: limits.timeout === undefined ? undefined : isoDuration(limits.timeout),
      trialTimeout: limits.trialTimeout === undefined ? undefined : isoDuration(limits.trialTimeout),
    }),
    objective: { goal: sweep.objective.goal, primaryMetric: sweep.objective.primaryMetric },
    // azure-ai-ml's policies send their defaults (early_termination_policy.py): delay 0, interval 0
    // (median stopping: 1).
    earlyTermination: early
      ? dropUndefined({
          policyType: POLICIES[early.type],
          delayEvaluation: early.delayEvaluation ?? 0,
          evaluationInterval: early.evaluationInterval ?? (early.type === 'median_stopping' ? 1 : 0),
          ...(early.type === 'bandit'
            ? { slackFactor: early.slackFactor ?? 0, slackAmount: early.slackAmount ?? 0 }
            : {}),
          ...(early.type === 'truncation_selection' ? { truncationPercentage: early.truncationPercentage ?? 0 } : {}),
        })
      : undefined,
    queueSettings: sweep.queueSettings?.jobTier
      ? { jobTier: sweep.queueSettings.jobTier[0]?.toUpperCase() + sweep.queueSettings.jobTier.slice(1) }
      : undefined,
  });
}

/** A sweep step's settings in its pipeline node: the YAML's own shape, as azure-ai-ml's node dict. */
export function sweepNodeSettings(sweep: SweepSettings): Json {
  const { limits, earlyTermination: early, samplingAlgorithm: sampling } = sweep;
  return dropUndefined({
    limits: dropUndefined({
      max_concurrent_trials: limits.maxConcurrentTrials,
      max_total_trials: limits.maxTotalTrials,
      timeout: limits.timeout,
      trial_timeout: limits.trialTimeout,
    }),
    sampling_algorithm: sweep.samplingWrittenAsName
      ? sampling.type
      : dropUndefined({ type: sampling.type, seed: sampling.seed, rule: sampling.rule }),
    objective: { goal: sweep.objective.goal, primary_metric: sweep.objective.primaryMetric },
    search_space: Object.fromEntries(Object.entries(sweep.searchSpace).map(([k, d]) => [k, d.yaml])),
    early_termination: early
      ? dropUndefined({
          type: early.type,
          delay_evaluation: early.delayEvaluation ?? 0,
          evaluation_interval: early.evaluationInterval ?? (early.type === 'median_stopping' ? 1 : 0),
          slack_factor: early.type === 'bandit' ? (early.slackFactor ?? 0) : undefined,
          slack_amount: early.type === 'bandit' ? (early.slackAmount ?? 0) : undefined,
          truncation_percentage: early.type === 'truncation_selection' ? (early.truncationPercentage ?? 0) : undefined,
        })
      : undefined,
    queue_settings: sweep.queueSettings?.jobTier ? { job_tier: sweep.queueSettings.jobTier } : undefined,
  });
}

export interface SweepJob extends CommonJobFields {
  type: 'sweep';
  sweep: SweepSettings;
  trial: CommandSpec;
}

/** The keys of a sweep trial (azure-ai-ml's ParameterizedCommandSchema, less what a trial cannot take). */
const TRIAL_KEYS = ['command', 'code', 'environment', 'environment_variables', 'resources', 'distribution'];

export function readSweepJob(source: YamlSource, f: Map<string, Field>, common: CommonJobFields): SweepJob | undefined {
  // SweepJob at 2024-04-01 has no `resources` of its own (azure-ai-ml sends one only to later
  // versions, sweep_job.py): the trial's resources are the ones that reach Azure.
  if (f.has('resources'))
    source.report(
      f.get('resources')?.keyNode,
      "A sweep job's own 'resources' are not in Azure ML's stable REST API (2024-04-01, which action-pipeline submits to): move them to 'trial.resources'.",
    );
  const sweep = readSweepSettings(source, f, 'A sweep job');
  const trialField = f.get('trial');
  if (!trialField) {
    source.report(source.document.contents as Node, "A sweep job needs 'trial': the command each trial runs.");
    return undefined;
  }
  const t = fields(source, trialField.value, "The sweep job's 'trial'", TRIAL_KEYS);
  const trial = readCommandSpec(source, t, "The sweep job's 'trial'");
  checkTrialBindings(source, t.get('command'), common, sweep);
  if (!sweep || !trial) return undefined;
  return { ...common, type: 'sweep', sweep, trial };
}

/** `${{inputs.x}}`, `${{outputs.y}}` and `${{search_space.z}}` in a trial's command must be declared. */
function checkTrialBindings(
  source: YamlSource,
  commandField: Field | undefined,
  job: CommonJobFields,
  sweep: SweepSettings | undefined,
): void {
  const command = commandField?.value && isScalar(commandField.value) ? String(commandField.value.value) : '';
  for (const match of command.matchAll(/\$\{\{\s*(inputs|outputs|search_space)\.([\w.]+)\s*\}\}/g)) {
    const [, kind = 'inputs', name = ''] = match;
    const declared = Object.keys(
      kind === 'inputs' ? job.inputs : kind === 'outputs' ? job.outputs : (sweep?.searchSpace ?? {}),
    );
    if (!sweep && kind === 'search_space') continue;
    if (!declared.includes(name))
      source.report(
        commandField?.value,
        `The trial's 'command' uses \${{${kind}.${name}}}, but the sweep job's ${kind} declares ${declared.length ? declared.join(', ') : 'nothing'}.`,
      );
  }
}
