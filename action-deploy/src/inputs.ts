// action-deploy's inputs, parsed once into a typed object. Combinations Azure would refuse (aad-token on
// Kubernetes, aks without a compute, anonymous endpoints) fail here, before any request.

import { NAME_RULES } from '../../shared/azure/names.js';
import { readCommonInputs, type CommonSettings } from '../../shared/azure/settings.js';
import { InputError } from '../../shared/errors.js';
import type { InputReader } from '../../shared/inputs/reader.js';
import { parseDuration } from '../../shared/inputs/duration.js';
import { readSmokeTestSettings, type SmokeTestSettings } from '../../shared/inputs/smokeTest.js';

export const TARGETS = ['aci', 'aks', 'auto', 'local'] as const;
export const AUTH_MODES = ['key', 'aml-token', 'aad-token'] as const;
export const STRATEGIES = ['blue-green', 'canary', 'replace'] as const;
export const DELETE_MODES = ['endpoint', 'deployment'] as const;
export type Target = (typeof TARGETS)[number];
export type AuthMode = (typeof AUTH_MODES)[number];
export type Strategy = (typeof STRATEGIES)[number];

/** The model to deploy, as the user named it. */
export type ModelReference =
  | { kind: 'version'; name: string; version: string }
  | { kind: 'latest'; name: string }
  /** The model of the release before the current one (endpoint release history); name optional. */
  | { kind: 'previous'; name: string | undefined }
  | { kind: 'local'; path: string };

export interface ProbeSettings {
  initialDelayMs?: number;
  periodMs?: number;
  timeoutMs?: number;
  failureThreshold?: number;
  successThreshold?: number;
}

export interface Autoscale {
  minInstances: number;
  maxInstances: number;
  targetUtilization: number;
}

export interface DeploySettings {
  model: ModelReference;
  deployment: string | undefined;
  environment: string | undefined;
  codePath: string | undefined;
  scoringScript: string | undefined;
  /** target local: the conda file of the environment a scoring script runs in on the runner. */
  condaFile: string | undefined;
  environmentVariables: Record<string, string>;
  instanceType: string | undefined;
  instanceCount: number;
  compute: string | undefined;
  autoscale: Autoscale | undefined;
  authMode: AuthMode;
  strategy: Strategy;
  trafficSteps: number[];
  appInsights: boolean;
  requestTimeoutMs: number | undefined;
  maxConcurrentRequests: number | undefined;
  livenessProbe: ProbeSettings | undefined;
  readinessProbe: ProbeSettings | undefined;
  keepPrevious: boolean;
  rollbackOnFailure: boolean;
  keepFailed: boolean;
  logLines: number;
  timeoutMs: number;
  exposeKey: boolean;
  localKeepAlive: boolean;
  localPort: number;
  smokeTest: SmokeTestSettings | undefined;
}

export type DeployInputs =
  | { common: CommonSettings; endpoint: string; target: Target; operation: 'deploy'; deploy: DeploySettings }
  /** target local with a model file from the workspace: no Azure login is read or needed (fork PRs have none). */
  | { dryRun: boolean; endpoint: string; target: 'local'; operation: 'serve-local'; deploy: DeploySettings }
  | { common: CommonSettings; endpoint: string; target: Target; operation: 'delete-endpoint' }
  | { common: CommonSettings; endpoint: string; target: Target; operation: 'delete-deployment'; deployment: string };

const ASSET_NAME = NAME_RULES.asset.pattern.source.slice(1, -1);
const VERSION = '[a-zA-Z0-9][a-zA-Z0-9._-]{0,49}';
const MODEL_VERSION = new RegExp(`^(?:azureml:)?(${ASSET_NAME}):(${VERSION})$`);
const MODEL_LATEST = new RegExp(`^(?:azureml:)?(${ASSET_NAME})(?::|@)latest$`);
const MODEL_PREVIOUS = new RegExp(`^(?:(?:azureml:)?(${ASSET_NAME}):)?previous$`);
const ENVIRONMENT = new RegExp(`^azureml:(?:${ASSET_NAME}):(?:${VERSION})$|^azureml:(?:${ASSET_NAME})@latest$`);
const INSTANCE_TYPE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PROBE_KEYS = ['initial-delay', 'period', 'timeout', 'failure-threshold', 'success-threshold'];
const MODEL_FORMS = "'azureml:NAME:VERSION', 'NAME:VERSION', 'NAME:latest', 'previous', 'NAME:previous'";

export function readDeployInputs(reader: InputReader): DeployInputs {
  const endpoint = reader.requiredString('endpoint', {
    pattern: NAME_RULES.endpoint.pattern,
    allowed: `it must be ${NAME_RULES.endpoint.allowed}`,
  });
  const target = reader.enumeration('target', TARGETS, 'aci');
  const deleteMode = reader.enumeration('delete', DELETE_MODES, undefined);
  const deployment = reader.optionalString('deployment', {
    pattern: NAME_RULES.deployment.pattern,
    allowed: `it must be ${NAME_RULES.deployment.allowed}`,
  });
  const deploy = readDeploySettings(reader, target, deployment);
  if (target === 'local' && deleteMode === undefined && deploy?.model.kind === 'local') {
    return { dryRun: reader.boolean('dry-run', false), endpoint, target, operation: 'serve-local', deploy };
  }
  const common = readCommonInputs(reader);
  if (deleteMode === 'endpoint') return { common, endpoint, target, operation: 'delete-endpoint' };
  if (deleteMode === 'deployment') {
    if (deployment === undefined)
      throw new InputError(reader.nameOf('deployment'), '', "it is required with 'delete: deployment'.");
    return { common, endpoint, target, operation: 'delete-deployment', deployment };
  }
  if (deploy === undefined)
    throw new InputError(
      reader.nameOf('model'),
      '',
      `it is required to deploy: ${MODEL_FORMS}${target === 'local' ? ' or a local path' : ''}.`,
    );
  return { common, endpoint, target, operation: 'deploy', deploy };
}

function readDeploySettings(
  reader: InputReader,
  target: Target,
  deployment: string | undefined,
): DeploySettings | undefined {
  const model = readModelReference(reader, target);
  const authRaw = reader.raw('auth-mode');
  if (['none', 'anonymous', 'no-auth'].includes(authRaw.toLowerCase())) {
    throw new InputError(
      reader.nameOf('auth-mode'),
      authRaw,
      "anonymous endpoints are not offered: every Azure ML online endpoint is authenticated. Use 'key', 'aml-token' or 'aad-token'.",
    );
  }
  const authMode = reader.enumeration('auth-mode', AUTH_MODES, 'key');
  const compute = reader.optionalString('compute', {
    pattern: NAME_RULES.compute.pattern,
    allowed: `it must be ${NAME_RULES.compute.allowed}`,
  });
  if (target === 'aks' && compute === undefined) {
    throw new InputError(
      reader.nameOf('compute'),
      '',
      "target 'aks' needs the name of the attached Kubernetes compute to deploy to.",
    );
  }
  if ((target === 'aci' || target === 'local') && compute !== undefined) {
    throw new InputError(
      reader.nameOf('compute'),
      compute,
      `it applies to targets 'aks' and 'auto' (target is '${target}').`,
    );
  }
  if (authMode === 'aad-token' && target === 'aks') {
    throw new InputError(
      reader.nameOf('auth-mode'),
      authMode,
      "Kubernetes online endpoints (target 'aks') support 'key' and 'aml-token' only; 'aad-token' is for managed endpoints (target 'aci').",
    );
  }
  if (target === 'local' && authMode !== 'key') {
    throw new InputError(
      reader.nameOf('auth-mode'),
      authMode,
      "target 'local' serves with an ephemeral key; use 'key'.",
    );
  }
  const maxInstances = reader.integer('max-instances', { min: 1, max: 1000 });
  const minInstances = reader.integer('min-instances', { min: 0, max: 1000 });
  const targetUtilization = reader.integer('target-utilization', { min: 1, max: 100 }, 70);
  if (minInstances !== undefined && maxInstances === undefined) {
    throw new InputError(reader.nameOf('min-instances'), String(minInstances), "autoscale needs 'max-instances' too.");
  }
  if (maxInstances !== undefined && target !== 'aks' && target !== 'auto') {
    throw new InputError(
      reader.nameOf('max-instances'),
      String(maxInstances),
      `autoscale settings apply to target 'aks' (target is '${target}').`,
    );
  }
  if (maxInstances !== undefined && minInstances !== undefined && minInstances > maxInstances) {
    throw new InputError(
      reader.nameOf('min-instances'),
      String(minInstances),
      `it must not exceed max-instances (${maxInstances}).`,
    );
  }
  const strategy = reader.enumeration('strategy', STRATEGIES, 'blue-green');
  const trafficSteps = readTrafficSteps(reader, strategy);
  const settings: Omit<DeploySettings, 'model'> = {
    deployment,
    environment: reader.optionalString('environment', {
      pattern: ENVIRONMENT,
      allowed: "it must be 'azureml:NAME:VERSION' or 'azureml:NAME@latest'.",
    }),
    codePath: reader.path('code-path', { kind: 'directory' }),
    condaFile: reader.path('conda-file', { kind: 'file' }),
    scoringScript: reader.optionalString('scoring-script', {
      // Relative to code-path and inside it: no absolute path, no '..' segment.
      pattern: /^(?![\\/])(?![A-Za-z]:)(?!.*(?:^|[\\/])\.\.(?:[\\/]|$))[^\0\r\n]{1,255}\.py$/,
      allowed: 'it must be a Python file inside code-path, given relative to it, such as score.py or src/score.py.',
    }),
    environmentVariables: reader.keyValueMap('environment-variables', {
      keyPattern: ENV_VAR_NAME,
      allowedKeys: 'names must be letters, digits and _, not starting with a digit.',
    }),
    instanceType: reader.optionalString('instance-type', {
      pattern: INSTANCE_TYPE,
      allowed: 'it must be a VM size such as Standard_DS3_v2 or the instance type of the Kubernetes compute.',
    }),
    instanceCount: reader.integer('instance-count', { min: 1, max: 1000 }, 1),
    compute,
    autoscale:
      maxInstances === undefined ? undefined : { minInstances: minInstances ?? 1, maxInstances, targetUtilization },
    authMode,
    strategy,
    trafficSteps,
    appInsights: reader.boolean('app-insights', true),
    requestTimeoutMs: reader.duration('request-timeout', { minMs: 1, maxMs: 180_000 }),
    maxConcurrentRequests: reader.integer('max-concurrent-requests', { min: 1, max: 1000 }),
    livenessProbe: readProbe(reader, 'liveness-probe'),
    readinessProbe: readProbe(reader, 'readiness-probe'),
    keepPrevious: reader.boolean('keep-previous', false),
    rollbackOnFailure: reader.boolean('rollback-on-failure', true),
    keepFailed: reader.boolean('keep-failed', false),
    logLines: reader.integer('log-lines', { min: 1, max: 10_000 }, 200),
    timeoutMs: reader.duration('timeout', { minMs: 1000, maxMs: 6 * 3_600_000 }, '30m'),
    exposeKey: reader.boolean('expose-key', false),
    localKeepAlive: reader.boolean('local-keep-alive', true),
    localPort: reader.integer('local-port', { min: 0, max: 65_535 }, 0),
    smokeTest: readSmokeTestSettings(reader.withPrefix('smoke-test-'), false),
  };
  if (settings.scoringScript !== undefined && settings.codePath === undefined) {
    throw new InputError(
      reader.nameOf('scoring-script'),
      settings.scoringScript,
      "it names a file inside 'code-path'; set 'code-path' too.",
    );
  }
  if (settings.codePath !== undefined && settings.scoringScript === undefined) {
    throw new InputError(
      reader.nameOf('scoring-script'),
      '',
      "it is required with 'code-path' (for example score.py).",
    );
  }
  if (settings.condaFile !== undefined && target !== 'local') {
    throw new InputError(
      reader.nameOf('conda-file'),
      settings.condaFile,
      `it applies to target 'local'; on Azure (target '${target}') name a registered environment in 'environment' (action-register with kind 'environment' registers a conda file).`,
    );
  }
  if (target === 'local' && settings.codePath !== undefined && settings.condaFile === undefined) {
    throw new InputError(
      reader.nameOf('conda-file'),
      '',
      "target 'local' runs a scoring script in a Python environment built from a conda file: set 'conda-file' (the file your registered environment was made from).",
    );
  }
  return model === undefined ? undefined : { ...settings, model };
}

function readModelReference(reader: InputReader, target: Target): ModelReference | undefined {
  const raw = reader.optionalString('model');
  if (raw === undefined) return undefined;
  const previous = MODEL_PREVIOUS.exec(raw);
  if (previous) return { kind: 'previous', name: previous[1] };
  const latest = MODEL_LATEST.exec(raw);
  if (latest?.[1]) return { kind: 'latest', name: latest[1] };
  const version = MODEL_VERSION.exec(raw);
  if (version?.[1] && version[2]) return { kind: 'version', name: version[1], version: version[2] };
  if (target === 'local')
    return { kind: 'local', path: reader.path('model', { required: true, kind: 'file-or-directory' }) };
  throw new InputError(
    reader.nameOf('model'),
    raw,
    `it must be one of ${MODEL_FORMS}${target === 'aci' || target === 'aks' || target === 'auto' ? " (a local path needs target 'local')" : ''}.`,
  );
}

function readTrafficSteps(reader: InputReader, strategy: Strategy): number[] {
  const items = reader.list('traffic-steps');
  const raw = items.join(',') || '10,50,100';
  if (strategy !== 'canary') return [100];
  const steps = (items.length > 0 ? items : ['10', '50', '100']).map((item) =>
    /^\d+$/.test(item) ? Number(item) : Number.NaN,
  );
  const ascending = steps.every((step, index) => index === 0 || step > (steps[index - 1] ?? 0));
  if (steps.some((step) => !Number.isInteger(step) || step < 1 || step > 100) || !ascending || steps.at(-1) !== 100) {
    throw new InputError(
      reader.nameOf('traffic-steps'),
      raw,
      'it must be ascending percentages from 1 to 100 ending with 100, such as 10,50,100.',
    );
  }
  return steps;
}

function readProbe(reader: InputReader, name: string): ProbeSettings | undefined {
  const values = reader.keyValueMap(name, {
    keyPattern: new RegExp(`^(${PROBE_KEYS.join('|')})$`),
    allowedKeys: `allowed keys are ${PROBE_KEYS.join(', ')}.`,
  });
  if (Object.keys(values).length === 0) return undefined;
  const probe: ProbeSettings = {};
  for (const [key, value] of Object.entries(values)) {
    if (key.endsWith('threshold')) {
      const count = /^\d+$/.test(value) ? Number(value) : Number.NaN;
      if (!(count >= 1 && count <= 100))
        throw new InputError(reader.nameOf(name), `${key}=${value}`, `${key} must be a whole number from 1 to 100.`);
      if (key === 'failure-threshold') probe.failureThreshold = count;
      else probe.successThreshold = count;
    } else {
      const ms = parseProbeDuration(value);
      if (ms === undefined)
        throw new InputError(reader.nameOf(name), `${key}=${value}`, `${key} must be a duration such as 10s.`);
      if (key === 'initial-delay') probe.initialDelayMs = ms;
      else if (key === 'period') probe.periodMs = ms;
      else probe.timeoutMs = ms;
    }
  }
  return probe;
}

function parseProbeDuration(value: string): number | undefined {
  const ms = parseDuration(value);
  return ms !== undefined && ms >= 1000 && ms <= 3_600_000 ? ms : undefined;
}
