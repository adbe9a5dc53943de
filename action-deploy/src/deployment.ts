// The deployment a release creates: its name, its target (aci, aks, or auto by model size) and its
// body (instances, probes, scaling, and for a custom_model the scoring code and environment).

import type { OnlineDeployment } from '@azure/arm-machinelearning';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { explainArmError, isNotFound } from '../../shared/azure/armError.js';
import { CONTENT_HASH_PROPERTY, registerVersion, versionStore } from '../../shared/azure/assets.js';
import { registerCodeFolder } from '../../shared/azure/code.js';
import { deriveDeploymentName, workspaceResourceId } from '../../shared/azure/ids.js';
import { UserError } from '../../shared/errors.js';
import type { DeploySettings } from './inputs.js';
import { modelSize, type ResolvedModel } from './model.js';
import type { DeployRun } from './run.js';

const ONE_GB = 1024 ** 3;
/** Our generic ONNX score.py and its conda environment, shipped beside the bundle (DESIGN.md). */
const GENERIC_ONNX = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'assets', 'onnx-generic');
const GENERIC_IMAGE = 'mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest';

export interface DeployTarget {
  name: 'aci' | 'aks';
  /** Why this target, for the log and the summary. */
  reason: string;
}

/**
 * The deployment's name: the one the step gives; for strategy replace the one serving now (updated
 * in place); otherwise derived from the model's name and version.
 */
export function deploymentNameFor(run: DeployRun, model: ResolvedModel, serving: string | undefined): string {
  const d = run.deploy;
  return (
    d.deployment ??
    (d.strategy === 'replace' && serving !== undefined ? serving : deriveDeploymentName(model.name, model.version))
  );
}

/** aci / aks as asked, or for `auto` by model size; aks needs an attached Kubernetes compute. */
export async function chooseTarget(run: DeployRun, model: ResolvedModel): Promise<DeployTarget> {
  const d = run.deploy;
  const requested = run.request.target;
  const { client, settings } = run.connection;
  let size: number | undefined;
  if (requested !== 'aks') size = await modelSize(run, model);
  if (requested === 'aci' && size !== undefined && size >= ONE_GB) {
    run.log.warning(
      `The model is ${(size / ONE_GB).toFixed(1)} GB: managed endpoints (target 'aci') are meant for models under 1 GB; consider target 'aks'.`,
    );
  }
  let name: 'aci' | 'aks';
  let reason: string;
  if (requested === 'auto') {
    name = size !== undefined && size >= ONE_GB && d.compute ? 'aks' : 'aci';
    reason = `auto: the model is ${size === undefined ? 'of unknown size' : `${(size / 1024 ** 2).toFixed(1)} MiB`}${name === 'aks' ? ' (1 GB or more) and a compute is given' : d.compute ? ' (under 1 GB)' : ' and no compute is given'}`;
  } else {
    name = requested === 'aks' ? 'aks' : 'aci';
    reason = name === 'aks' ? 'Kubernetes online endpoint, as asked' : 'managed online endpoint, as asked';
  }
  if (name === 'aks') {
    const compute = await client.computeOperations
      .get(settings.resourceGroup, settings.workspace, d.compute ?? '')
      .catch((error: unknown) => {
        if (isNotFound(error)) {
          throw new UserError(
            `Compute '${d.compute ?? ''}' does not exist in workspace '${settings.workspace}': attach a Kubernetes cluster under that name first.`,
            { input: 'compute' },
          );
        }
        throw explainArmError(error, `reading compute ${d.compute ?? ''}`);
      });
    const type = compute.properties?.computeType;
    if (type !== 'Kubernetes') {
      throw new UserError(
        `Compute '${d.compute ?? ''}' is a ${type ?? 'compute of unknown type'}, not an attached Kubernetes compute; target 'aks' needs one.`,
        { input: 'compute' },
      );
    }
    if (compute.properties?.provisioningState && compute.properties.provisioningState !== 'Succeeded') {
      throw new UserError(
        `Compute '${d.compute ?? ''}' is not attached and ready (state ${compute.properties.provisioningState}).`,
        { input: 'compute' },
      );
    }
  }
  return { name, reason };
}

export async function deploymentBody(
  run: DeployRun,
  model: ResolvedModel,
  target: DeployTarget['name'],
  location: string,
): Promise<OnlineDeployment> {
  const d = run.deploy;
  // A custom_model always has code (ours for ONNX); an MLflow or Triton model has code when the step
  // gives it (Azure then runs that script instead of generating one), never silently without it.
  const scoring = model.modelType === 'custom_model' || d.codePath !== undefined ? await scoringCode(run) : {};
  const iso = (ms: number | undefined) =>
    ms === undefined ? undefined : `PT${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')}S`;
  const probe = (p: DeploySettings['livenessProbe']) =>
    p && {
      initialDelay: iso(p.initialDelayMs),
      period: iso(p.periodMs),
      timeout: iso(p.timeoutMs),
      failureThreshold: p.failureThreshold,
      successThreshold: p.successThreshold,
    };
  const properties = {
    endpointComputeType: target === 'aks' ? 'Kubernetes' : 'Managed',
    model: model.id,
    instanceType: d.instanceType ?? (target === 'aci' ? 'Standard_DS3_v2' : undefined),
    appInsightsEnabled: d.appInsights,
    environmentVariables: d.environmentVariables,
    ...scoring,
    ...(d.requestTimeoutMs !== undefined || d.maxConcurrentRequests !== undefined
      ? {
          requestSettings: {
            requestTimeout: iso(d.requestTimeoutMs),
            maxConcurrentRequestsPerInstance: d.maxConcurrentRequests,
          },
        }
      : {}),
    ...(d.livenessProbe ? { livenessProbe: probe(d.livenessProbe) } : {}),
    ...(d.readinessProbe ? { readinessProbe: probe(d.readinessProbe) } : {}),
    ...(d.autoscale
      ? {
          scaleSettings: {
            scaleType: 'TargetUtilization',
            minInstances: d.autoscale.minInstances,
            maxInstances: d.autoscale.maxInstances,
            targetUtilizationPercentage: d.autoscale.targetUtilization,
          },
        }
      : {}),
  };
  return { location, sku: { name: 'Default', capacity: d.instanceCount }, properties } as OnlineDeployment;
}

/** Code and environment of a custom_model: the user's, or our generic ONNX score.py and environment. */
async function scoringCode({ connection, log, deploy: d }: DeployRun) {
  const { client, settings } = connection;
  const code = await registerCodeFolder({
    connection,
    folder: d.codePath ?? GENERIC_ONNX,
    name: d.codePath
      ? `${path.basename(d.codePath)}-code`.replace(/[^a-zA-Z0-9_-]/g, '-')
      : 'azureml-actions-onnx-score',
    log,
    ...(d.codePath ? {} : { ignorePatterns: ['README.md', 'conda.yml'] }),
  });
  let environmentId = d.environment;
  if (!environmentId) {
    if (d.codePath)
      throw new UserError("A custom scoring script needs 'environment' (azureml:NAME:VERSION) to run in.", {
        input: 'environment',
      });
    const conda = readFileSync(path.join(GENERIC_ONNX, 'conda.yml'), 'utf8');
    const envHash = createHash('sha256').update(`${GENERIC_IMAGE}\n${conda}`).digest('hex');
    const env = await registerVersion({
      store: versionStore(client, settings, 'environments', 'azureml-actions-onnx'),
      version: 'auto',
      contentHash: envHash,
      dedupe: true,
      properties: {
        image: GENERIC_IMAGE,
        condaFile: conda,
        osType: 'Linux',
        properties: { [CONTENT_HASH_PROPERTY]: envHash },
      },
      log,
    });
    environmentId = workspaceResourceId(settings, `environments/azureml-actions-onnx/versions/${env.version}`);
  } else {
    const [, name = '', version = ''] = /^azureml:([^:@]+)[:@](.+)$/.exec(environmentId) ?? [];
    // `@latest` is the most recently created version, resolved here as azure-ai-ml resolves it
    // (_get_latest: versions by createdtime desc): a deployment needs a version, not the container.
    const resolved = version === 'latest' ? await latestEnvironmentVersion(client, settings, name) : version;
    if (version === 'latest') log.info(`Environment azureml:${name}@latest is version ${resolved}.`);
    environmentId = workspaceResourceId(settings, `environments/${name}/versions/${resolved}`);
  }
  return {
    codeConfiguration: {
      codeId: code.codeId,
      scoringScript: d.scoringScript ?? 'score.py',
    },
    environmentId,
  };
}

/** The most recently created version of a workspace environment, or a UserError naming the input. */
async function latestEnvironmentVersion(
  client: DeployRun['connection']['client'],
  settings: DeployRun['connection']['settings'],
  name: string,
): Promise<string> {
  const pages = client.environmentVersions.list(settings.resourceGroup, settings.workspace, name, {
    orderBy: 'createdtime desc',
    top: 1,
  });
  try {
    for await (const version of pages) if (version.name) return version.name;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  throw new UserError(
    `Environment '${name}' has no version in workspace '${settings.workspace}' (azureml:${name}@latest).`,
    {
      input: 'environment',
    },
  );
}
