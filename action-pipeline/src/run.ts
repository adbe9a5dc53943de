// action-pipeline's work after its inputs and job file are checked: log in, create the compute
// cluster, upload code, register components, publish the pipeline, create the schedule, submit the
// job and follow it to the end. Loaded lazily by main.ts so dry runs and bad input never pay for
// the Azure SDK.

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { ActionContext } from '../../shared/action/context.js';
import { escapeCell } from '../../shared/action/plan.js';
import { ANONYMOUS_ENVIRONMENT_NAME, anonymousEnvironmentVersion } from '../../shared/azure/anonymousEnvironment.js';
import { explainArmError, isNotFound } from '../../shared/azure/armError.js';
import { CONTENT_HASH_PROPERTY, registerVersion, versionStore } from '../../shared/azure/assets.js';
import { armJson, JOBS_API_VERSION } from '../../shared/azure/armRequest.js';
import { registerCodeFolder } from '../../shared/azure/code.js';
import { connectToWorkspace, openClient, type WorkspaceConnection } from '../../shared/azure/connect.js';
import { openDatastore } from '../../shared/azure/datastore.js';
import { assetReference, workspaceId, workspaceResourceId } from '../../shared/azure/ids.js';
import { POLL_INTERVAL_MS, waitForOperation } from '../../shared/azure/lro.js';
import type { RequiredAction } from '../../shared/azure/preflight.js';
import { UserError } from '../../shared/errors.js';
import { formatDuration } from '../../shared/inputs/duration.js';
import { azureAiMlObjectHash, createSnapshot, uploadSnapshot } from '../../shared/upload/index.js';
import { ensureCompute, type ComputeResult } from './compute.js';
import { autoMLDataOf } from './automl/data.js';
import {
  commandsOf,
  describeInlineEnvironment,
  type InlineEnvironment,
  type JobDefinition,
  type PipelineJob,
  type PipelineStep,
} from './jobFile.js';
import type { PipelineInputs } from './inputs.js';
import {
  anonymousComponent,
  autoMLJobBody,
  commandJobBody,
  componentJobBody,
  sparkJobBody,
  sweepJobBody,
  contentHash,
  inlineEnvironmentBody,
  pipelineComponentSpec,
  pipelineJobBody,
  type JobMetadata,
  type Resolved,
} from './rest.js';
import { openRunHistory } from './runHistory.js';
import { registerTypedStep } from './typedSteps.js';
import { followJob, readJob, type JobOutcome } from './watch.js';

const ML = 'Microsoft.MachineLearningServices/workspaces';
const COMMIT_PROPERTY = 'azureml-actions.commit';

interface Published {
  name: string;
  version: string;
  id: string;
  reused: boolean;
}

export async function runPipeline(context: ActionContext, inputs: PipelineInputs, job: JobDefinition | undefined) {
  const { log, outputs } = context;
  const connection = await connectToWorkspace(context, inputs.common.azure, requiredActions(inputs, job));
  const { client, settings } = connection;
  const { resourceGroup: rg, workspace: ws } = settings;

  let compute: ComputeResult | undefined;
  if (inputs.compute?.create) {
    const wanted = inputs.compute;
    compute = await log.group(`Compute cluster ${wanted.name}`, () =>
      ensureCompute(context, connection, wanted, inputs.timeoutMs),
    );
    log.info(`Compute cluster ${compute.name}: ${compute.change} (${compute.detail}).`);
  }
  if (!job) {
    writeSummary(context, { inputs, compute });
    return;
  }

  const computeName = defaultCompute(job, inputs);
  await checkComputes(connection, job, computeName);
  const resolved = await log.group('Upload code and resolve references', () =>
    resolveReferences(context, connection, job),
  );
  const meta = jobMetadata(context, inputs, job);

  let published: Published | undefined;
  let scheduleId: string | undefined;
  if (inputs.publish) {
    if (job.type !== 'pipeline') {
      throw new UserError(`'publish: true' publishes pipeline jobs; ${job.file} is a ${job.type} job.`, {
        input: 'publish',
      });
    }
    const pipeline = job;
    const publish = inputs.publish;
    published = await log.group('Publish the pipeline component', () =>
      publishPipeline(context, connection, pipeline, resolved, publish),
    );
    outputs.set('component-id', assetReference(published.name, published.version));
    outputs.set('component-version', published.version);
    if (inputs.schedule) {
      const schedule = inputs.schedule;
      const name = schedule.name ?? `${published.name}-schedule`;
      const body = componentJobBody(pipeline, meta, resolved, computeName, published.id);
      // A plain PUT (the SDK's serializer drops job inputs' uri and mode, armRequest.ts), then wait.
      try {
        await armJson(client, settings, 'PUT', `schedules/${name}`, {
          properties: {
            displayName: name,
            description: `Runs ${published.name}:${published.version} on '${schedule.cron}' (${schedule.timeZoneInput}). Managed by azureml-actions.`,
            isEnabled: true,
            trigger: { triggerType: 'Cron', expression: schedule.cron, timeZone: schedule.timeZone },
            action: { actionType: 'CreateJob', jobDefinition: body },
          },
        });
      } catch (error) {
        throw explainArmError(error, `creating or updating schedule ${name}`);
      }
      await waitForProvisioning(async () => (await client.schedules.get(rg, ws, name)).properties.provisioningState, {
        log,
        what: `Creating or updating schedule ${name}`,
        timeoutMs: inputs.timeoutMs,
      });
      scheduleId = workspaceResourceId(settings, `schedules/${name}`);
      outputs.set('schedule-id', scheduleId);
      log.info(
        `Schedule ${name}: '${schedule.cron}' in ${schedule.timeZone} runs ${published.name}:${published.version}.`,
      );
    }
  }

  if (!inputs.run) {
    writeSummary(context, { inputs, compute, published, scheduleId });
    return;
  }

  const body =
    job.type === 'command'
      ? commandJobBody(job, meta, resolved, computeName)
      : job.type === 'automl'
        ? autoMLJobBody(job, meta, resolved, computeName)
        : job.type === 'sweep'
          ? sweepJobBody(job, meta, resolved, computeName)
          : job.type === 'spark'
            ? sparkJobBody(job, meta, resolved, computeName)
            : published
              ? componentJobBody(job, meta, resolved, computeName, published.id)
              : pipelineJobBody(job, meta, resolved, computeName);
  const runId = jobName(meta.displayName);
  let submitted;
  try {
    // A plain PUT: the SDK's serializer drops job inputs' uri and mode and AutoML settings (armRequest.ts).
    submitted = await armJson(client, settings, 'PUT', `jobs/${runId}`, { properties: body }, JOBS_API_VERSION);
  } catch (error) {
    throw explainArmError(error, `submitting job ${runId}`);
  }
  // The seed's exercise: "the trigger should show the run_id", on its own line.
  log.info(`run-id: ${runId}`);
  const services = (submitted.body.properties as { services?: Record<string, { endpoint?: string }> } | undefined)
    ?.services;
  const runUrl = services?.Studio?.endpoint ?? studioUrl(connection, runId);
  outputs.set('run-id', runId);
  outputs.set('run-url', runUrl);
  log.info(`Studio: ${runUrl}`);
  context.state.save('run-id', runId);

  if (!inputs.wait) {
    outputs.set('status', 'Submitted');
    writeSummary(context, { inputs, compute, published, scheduleId, runId, runUrl });
    return;
  }
  context.state.save('cancel-in-post', 'true');
  const history = await openRunHistory({
    credential: connection.session.credential,
    cloud: settings.cloud,
    armScope: settings.cloud.armScope,
    workspaceId: workspaceId(settings),
    discoveryUrl: connection.workspace.discoveryUrl,
    mlflowTrackingUri: connection.workspace.mlFlowTrackingUri,
    experiment: meta.experimentName,
  });
  let outcome: JobOutcome;
  try {
    outcome = await followJob({
      context,
      connection,
      history,
      runId,
      isPipeline: job.type === 'pipeline',
      timeoutMs: inputs.timeoutMs,
      cancelOnTimeout: inputs.cancelOnTimeout,
      streamLogs: inputs.streamLogs,
    });
  } finally {
    context.state.save('cancel-in-post', 'false');
  }
  outputs.set('status', outcome.status);
  outputs.set('outputs', JSON.stringify(outcome.outputs));
  outputs.set('metrics', JSON.stringify(outcome.metrics));
  let bestModel: string | undefined;
  if (job.type === 'automl' && outcome.status === 'Completed') {
    bestModel = await log.group('Best model', () => registerBestModel(context, connection, inputs, runId, outcome));
    outputs.set('best-model', bestModel);
  }
  writeSummary(context, { inputs, compute, published, scheduleId, runId, runUrl, outcome, bestModel });
  if (outcome.failure) throw outcome.failure;
}

function requiredActions(inputs: PipelineInputs, job: JobDefinition | undefined): RequiredAction[] {
  const required: RequiredAction[] = [];
  if (inputs.compute?.create)
    required.push({ action: `${ML}/computes/write`, purpose: `create or update compute ${inputs.compute.name}` });
  if (job) {
    required.push({ action: `${ML}/components/versions/write`, purpose: 'register the pipeline steps as components' });
    required.push({ action: `${ML}/codes/versions/write`, purpose: "register local 'code:' folders" });
    if (commandsOf(job).some((spec) => spec.environment !== undefined && typeof spec.environment !== 'string'))
      required.push({ action: `${ML}/environments/versions/write`, purpose: 'register the inline environments' });
    required.push({ action: `${ML}/datastores/listsecrets/action`, purpose: 'upload code with the datastore key' });
  }
  if (inputs.schedule) required.push({ action: `${ML}/schedules/write`, purpose: 'create the schedule' });
  if (inputs.run) required.push({ action: `${ML}/jobs/write`, purpose: 'submit the job' });
  if (inputs.registerBestModelAs)
    required.push({ action: `${ML}/models/versions/write`, purpose: 'register the best model' });
  return required;
}

/** The compute a job runs on when its file names none: the file wins, `compute` fills the gap. */
function defaultCompute(job: JobDefinition, inputs: PipelineInputs): string | undefined {
  const fromFile = job.type === 'pipeline' ? (job.defaultCompute ?? job.compute) : job.compute;
  return fromFile ?? inputs.compute?.name;
}

/** azure-ai-ml's name for serverless compute (constants/_common.py SERVERLESS_COMPUTE), sent as computes/serverless. */
const SERVERLESS_COMPUTE = 'serverless';

/** Every compute the job names must exist: fail before uploading anything. */
async function checkComputes(
  { client, settings }: WorkspaceConnection,
  job: JobDefinition,
  fallback: string | undefined,
) {
  // A job (or step) with no compute runs on serverless compute, as does one naming `serverless`:
  // neither is a cluster of the workspace to check.
  const names = new Set<string>();
  if (fallback) names.add(fallback);
  if (job.type === 'pipeline')
    for (const step of job.steps) if (step.compute && !step.compute.startsWith('${{')) names.add(step.compute);
  names.delete(SERVERLESS_COMPUTE);
  for (const name of names) {
    try {
      await client.computeOperations.get(settings.resourceGroup, settings.workspace, name);
    } catch (error) {
      if (isNotFound(error))
        throw new UserError(
          `Compute '${name}' (named by ${job.file}) does not exist in workspace ${settings.workspace}. Create it with 'create-compute: true' and 'compute: ${name}', or use an existing cluster.`,
          { input: 'compute' },
        );
      throw explainArmError(error, `reading compute ${name}`);
    }
  }
}

async function resolveReferences(
  context: ActionContext,
  connection: WorkspaceConnection,
  job: JobDefinition,
): Promise<Resolved> {
  const { client, settings } = connection;
  const { log } = context;
  const resolved: Resolved = {
    computeId: (name) => workspaceResourceId(settings, `computes/${name}`),
    codeIds: new Map(),
    environmentIds: new Map(),
    dataUris: new Map(),
    componentIds: new Map(),
    registeredOutputs: new Map(),
    datastoreId: (name) => workspaceResourceId(settings, `datastores/${name}`),
  };
  // One upload per distinct folder: two steps sharing ./src share one code version.
  const codeByFolder = new Map<string, string>();
  const environments = new Map<string, string>();
  for (const spec of commandsOf(job)) {
    if (spec.code?.kind === 'local') {
      let codeId = codeByFolder.get(spec.code.path);
      if (!codeId) {
        const name = `${path.basename(spec.code.path)}-code`
          .replace(/[^a-zA-Z0-9_-]/g, '-')
          .replace(/^[^a-zA-Z0-9]+/, '');
        const code = await registerCodeFolder({ connection, folder: spec.code.path, name, log });
        log.info(
          `Code ${path.relative(process.cwd(), spec.code.path) || '.'}: ${code.name}:${code.version} (${code.bytesUploaded === 0 ? 'unchanged, nothing uploaded' : `${code.bytesUploaded} bytes uploaded`}).`,
        );
        codeId = code.codeId;
        codeByFolder.set(spec.code.path, codeId);
      }
      resolved.codeIds.set(spec, codeId);
    } else if (spec.code?.kind === 'asset') {
      resolved.codeIds.set(spec, await assetId(connection, spec.code.reference, 'codes'));
    }
    const environment = spec.environment;
    if (environment === undefined) continue; // a Spark job or step may run without one
    const key = typeof environment === 'string' ? environment : `inline:${environment.identity}`;
    let environmentId = environments.get(key);
    if (!environmentId) {
      environmentId =
        typeof environment !== 'string'
          ? await registerInlineEnvironment(context, connection, environment)
          : environment.startsWith('azureml://registries/')
            ? environment
            : await assetId(connection, environment, 'environments');
      environments.set(key, environmentId);
    }
    resolved.environmentIds.set(spec, environmentId);
  }
  // Local data inputs are uploaded like code: content-addressed, once.
  // AutoML's local MLTable folders too, as azure-ai-ml uploads them (the same LocalUpload folder).
  const dataInputs = [
    ...Object.values(job.inputs),
    ...(job.type === 'pipeline' ? job.steps.flatMap((s) => Object.values(s.inputs)) : []),
    ...autoMLDataOf(job),
  ];
  for (const input of dataInputs) {
    if (input.kind !== 'data' || !input.local) continue;
    const snapshot = await createSnapshot(input.path, { logger: log });
    const datastore = await openDatastore({ client, settings, credential: connection.session.credential, log });
    const upload = await uploadSnapshot(datastore.container, snapshot, { logger: log });
    resolved.dataUris.set(input, `${datastore.uriOf(upload.assetPath)}${snapshot.kind === 'folder' ? '/' : ''}`);
  }
  if (job.type === 'pipeline') {
    for (const step of job.steps) {
      if (step.source.kind === 'registered') {
        const [id, outputs] = await registeredComponent(connection, step);
        resolved.componentIds.set(step, id);
        resolved.registeredOutputs.set(step, outputs);
      }
    }
    for (const step of job.steps) {
      if (step.source.kind === 'registered' || step.source.kind === 'automl') continue;
      if (step.source.kind === 'typed') {
        resolved.componentIds.set(step, await registerTypedStep(connection, job, step, resolved));
        continue;
      }
      const component = anonymousComponent(job, step, resolved);
      try {
        await client.componentVersions.createOrUpdate(
          settings.resourceGroup,
          settings.workspace,
          component.name,
          component.version,
          {
            properties: { componentSpec: component.componentSpec, isAnonymous: true, properties: {}, tags: {} },
          },
        );
      } catch (error) {
        throw explainArmError(error, `registering the component of step '${step.name}'`);
      }
      resolved.componentIds.set(
        step,
        workspaceResourceId(settings, `components/${component.name}/versions/${component.version}`),
      );
    }
  }
  return resolved;
}

/**
 * An inline environment as azure-ai-ml registers it: CliV2AnonymousEnvironment at its content's
 * version, created only when that version does not exist yet (so its image is built once). A build
 * context is named by azure-ai-ml's object hash of its folder and uploaded where azure-ai-ml uploads
 * it (LocalUpload/<that hash>/<folder>), only when the version is new.
 */
async function registerInlineEnvironment(
  { log }: ActionContext,
  connection: WorkspaceConnection,
  environment: InlineEnvironment,
): Promise<string> {
  const { client, settings, session } = connection;
  const { resourceGroup, workspace } = settings;
  const where = `${environment.location.file}:${environment.location.line}`;
  const build = environment.build;
  const snapshot = build ? await createSnapshot(build.folder, { logger: log }) : undefined;
  const objectHash = snapshot ? await azureAiMlObjectHash(snapshot) : undefined;
  const version =
    environment.version ??
    anonymousEnvironmentVersion({ buildContextHash: objectHash, dockerfilePath: build?.dockerfilePath });
  const label = `${ANONYMOUS_ENVIRONMENT_NAME}:${version.slice(0, 12)}…`;
  const id = workspaceResourceId(settings, `environments/${ANONYMOUS_ENVIRONMENT_NAME}/versions/${version}`);
  try {
    await client.environmentVersions.get(resourceGroup, workspace, ANONYMOUS_ENVIRONMENT_NAME, version);
    log.info(`Environment (inline, ${where}): ${label}, already registered.`);
    return id;
  } catch (error) {
    if (!isNotFound(error)) throw explainArmError(error, `reading the inline environment of ${where}`);
  }
  let contextUri: string | undefined;
  if (snapshot) {
    const datastore = await openDatastore({ client, settings, credential: session.credential, log });
    const upload = await uploadSnapshot(datastore.container, snapshot, {
      logger: log,
      azureAiMlObjectHash: objectHash,
      linkedAsset: { name: ANONYMOUS_ENVIRONMENT_NAME, version },
    });
    // The spec's BuildContext.contextUri takes a blob URI; azure-ai-ml sends the folder's with a '/'.
    contextUri = `${datastore.blobUrlOf(upload.assetPath)}/`;
  }
  try {
    await client.environmentVersions.createOrUpdate(resourceGroup, workspace, ANONYMOUS_ENVIRONMENT_NAME, version, {
      properties: inlineEnvironmentBody(environment, contextUri),
    });
  } catch (error) {
    throw explainArmError(error, `registering the inline environment of ${where}`);
  }
  log.info(`Environment (inline, ${where}): ${label}, registered (${describeInlineEnvironment(environment)}).`);
  return id;
}

/** azureml:NAME:VERSION or azureml:NAME@latest → the version's ARM id (checked to exist). */
async function assetId(
  { client, settings }: WorkspaceConnection,
  reference: string,
  collection: 'environments' | 'codes',
): Promise<string> {
  const [, name = '', version] = /^azureml:([^:@]+)(?::(.+)|@latest)$/.exec(reference) ?? [];
  const api = collection === 'environments' ? client.environmentContainers : client.codeContainers;
  const versions = collection === 'environments' ? client.environmentVersions : client.codeVersions;
  const what = collection === 'environments' ? 'Environment' : 'Code';
  try {
    if (version === undefined) {
      const container = await api.get(settings.resourceGroup, settings.workspace, name);
      const latest = (container.properties as { latestVersion?: string }).latestVersion;
      if (!latest) throw new UserError(`${what} ${name} has no versions.`);
      return workspaceResourceId(settings, `${collection}/${name}/versions/${latest}`);
    }
    await versions.get(settings.resourceGroup, settings.workspace, name, version);
    return workspaceResourceId(settings, `${collection}/${name}/versions/${version}`);
  } catch (error) {
    if (isNotFound(error))
      throw new UserError(
        `${what} ${reference} (named by the job file) does not exist in workspace ${settings.workspace}. Register it first (action-register, kind: environment) or fix the reference.`,
        { input: 'job' },
      );
    throw explainArmError(error, `reading ${reference}`);
  }
}

async function registeredComponent(
  { client, settings }: WorkspaceConnection,
  step: PipelineStep,
): Promise<[string, Record<string, 'uri_folder'>]> {
  if (step.source.kind !== 'registered') throw new Error('not a registered component');
  const [, name = '', written] = /^azureml:([^:@]+)(?::(.+)|@latest)$/.exec(step.source.reference) ?? [];
  const where = `${step.source.location.file}:${step.source.location.line}:${step.source.location.column}`;
  try {
    // NAME@latest: the container's latest version, which azure-ai-ml also resolves before it submits.
    const version =
      written ??
      (await client.componentContainers.get(settings.resourceGroup, settings.workspace, name)).properties
        .latestVersion ??
      '';
    const component = await client.componentVersions.get(settings.resourceGroup, settings.workspace, name, version);
    const spec = (component.properties as { componentSpec?: Record<string, unknown> }).componentSpec ?? {};
    const declared = Object.keys((spec.inputs as Record<string, unknown> | undefined) ?? {});
    for (const input of Object.keys(step.inputs))
      if (!declared.includes(input))
        throw new UserError(
          `${where}: step '${step.name}' sets input '${input}', which component ${step.source.reference} does not declare (it has ${declared.join(', ') || 'none'}).`,
          { input: 'job' },
        );
    const outputs = Object.fromEntries(
      Object.entries((spec.outputs as Record<string, { type?: string }> | undefined) ?? {}).map(([k]) => [
        k,
        'uri_folder' as const,
      ]),
    );
    return [workspaceResourceId(settings, `components/${name}/versions/${version}`), outputs];
  } catch (error) {
    if (isNotFound(error))
      throw new UserError(
        `${where}: step '${step.name}' uses component ${step.source.reference}, which does not exist in workspace ${settings.workspace}.`,
        {
          input: 'job',
        },
      );
    throw explainArmError(error, `reading component ${step.source.reference}`);
  }
}

async function publishPipeline(
  context: ActionContext,
  { client, settings }: WorkspaceConnection,
  job: PipelineJob,
  resolved: Resolved,
  publish: NonNullable<PipelineInputs['publish']>,
): Promise<Published> {
  const name = publish.componentName ?? job.name ?? componentNameFromFile(job.file);
  const spec = pipelineComponentSpec(job, resolved, name);
  const hash = contentHash(spec);
  const result = await registerVersion({
    store: versionStore(client, settings, 'components', name),
    version: publish.componentVersion,
    contentHash: hash,
    dedupe: true,
    properties: {
      componentSpec: spec,
      description: job.description,
      isAnonymous: false,
      tags: {},
      properties: { [CONTENT_HASH_PROPERTY]: hash },
    },
    log: context.log,
  });
  context.log.info(
    result.reused
      ? `Pipeline component ${name}:${result.version} already holds this pipeline: reused.`
      : `Published pipeline component ${name}:${result.version}${result.previousVersion ? ` (previous ${result.previousVersion})` : ''}.`,
  );
  return {
    name,
    version: result.version,
    id: workspaceResourceId(settings, `components/${name}/versions/${result.version}`),
    reused: result.reused,
  };
}

function componentNameFromFile(file: string): string {
  const base = path.basename(file).replace(/\.ya?ml$/i, '');
  return base.replace(/[^a-zA-Z0-9_-]/g, '-').replace(/^[^a-zA-Z0-9]+/, '') || 'pipeline';
}

function jobMetadata(context: ActionContext, inputs: PipelineInputs, job: JobDefinition): JobMetadata {
  const env = (name: string) => context.inputs.env(name);
  const sha = env('GITHUB_SHA');
  const short = sha?.slice(0, 7);
  const baseName = job.displayName ?? job.name ?? componentNameFromFile(job.file);
  const properties: Record<string, string> = {};
  if (sha) properties[COMMIT_PROPERTY] = sha;
  const repository = env('GITHUB_REPOSITORY');
  const runIdEnv = env('GITHUB_RUN_ID');
  if (repository && runIdEnv)
    properties['azureml-actions.workflow-run'] =
      `${env('GITHUB_SERVER_URL') ?? 'https://github.com'}/${repository}/actions/runs/${runIdEnv}`;
  return {
    displayName: inputs.displayName ?? (short ? `${baseName} @ ${short}` : baseName),
    // The file's experiment_name wins over the default (repository name), the input over both.
    experimentName: inputs.experimentExplicit ? inputs.experiment : (job.experimentName ?? inputs.experiment),
    description: job.description,
    tags: { ...job.tags, ...(short ? { commit: short } : {}) },
    properties: { ...job.properties, ...properties },
  };
}

/** A job name Azure accepts and no other run takes: the display name's letters and a random tail. */
function jobName(displayName: string): string {
  const slug = displayName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40);
  return `${slug || 'job'}_${randomBytes(5).toString('hex')}`;
}

function studioUrl({ settings }: WorkspaceConnection, runId: string): string {
  const studio = settings.cloud.studioUrl ?? 'https://ml.azure.com';
  return `${studio}/runs/${encodeURIComponent(runId)}?wsid=${encodeURIComponent(workspaceId(settings))}`;
}

async function registerBestModel(
  context: ActionContext,
  connection: WorkspaceConnection,
  inputs: PipelineInputs,
  runId: string,
  outcome: JobOutcome,
): Promise<string> {
  const uri = `azureml://jobs/${runId}/outputs/best_model`;
  if (!inputs.registerBestModelAs) {
    context.log.info(`Best model: ${uri} (set 'register-best-model-as' to register it as a model).`);
    return uri;
  }
  const name = inputs.registerBestModelAs;
  const result = await registerVersion({
    store: versionStore(connection.client, connection.settings, 'models', name),
    version: 'auto',
    contentHash: uri,
    dedupe: true,
    properties: {
      modelUri: uri,
      modelType: 'mlflow_model',
      description: `Best model of AutoML job ${runId}.`,
      tags: Object.fromEntries(Object.entries(outcome.metrics).map(([k, v]) => [k, String(v)])),
      properties: { [CONTENT_HASH_PROPERTY]: uri, 'azureml-actions.job': runId },
    },
    log: context.log,
  });
  const reference = assetReference(name, result.version);
  context.log.info(`Registered the best model as ${reference}.`);
  return reference;
}

interface SummaryParts {
  inputs: PipelineInputs;
  compute?: ComputeResult | undefined;
  published?: Published | undefined;
  scheduleId?: string | undefined;
  runId?: string;
  runUrl?: string;
  outcome?: JobOutcome;
  bestModel?: string | undefined;
}

function writeSummary(context: ActionContext, parts: SummaryParts): void {
  const lines: string[] = ['### action-pipeline', ''];
  if (parts.runId && parts.runUrl) {
    const status = parts.outcome?.status ?? 'Submitted';
    lines.push(
      `Job [\`${parts.runId}\`](${parts.runUrl}): **${status}**${parts.outcome ? ` in ${formatDuration(parts.outcome.durationMs)}` : ''}`,
      '',
    );
  }
  if (parts.compute)
    lines.push(`- Compute \`${parts.compute.name}\`: ${parts.compute.change} (${escapeCell(parts.compute.detail)})`);
  if (parts.compute && parts.inputs.compute && parts.inputs.compute.minNodes > 0)
    lines.push(
      `- :warning: min-nodes ${parts.inputs.compute.minNodes}: idle nodes are charged; use 0 to scale to zero.`,
    );
  if (parts.published)
    lines.push(
      `- Pipeline component \`${parts.published.name}:${parts.published.version}\`${parts.published.reused ? ' (unchanged, reused)' : ' (published)'}`,
    );
  if (parts.scheduleId && parts.inputs.schedule)
    lines.push(
      `- Schedule \`${parts.scheduleId.split('/').pop() ?? ''}\`: \`${parts.inputs.schedule.cron}\` (${parts.inputs.schedule.timeZoneInput})`,
    );
  if (parts.bestModel) lines.push(`- Best model: \`${parts.bestModel}\``);
  const steps = parts.outcome?.steps ?? [];
  if (steps.length > 0) {
    lines.push('', '| step | status | duration | compute |', '| --- | --- | --- | --- |');
    for (const s of steps)
      lines.push(
        `| ${escapeCell(s.name)} | ${s.status} | ${s.durationMs === undefined ? '' : formatDuration(s.durationMs)} | ${escapeCell(s.compute ?? '')} |`,
      );
  }
  const outputs = Object.entries(parts.outcome?.outputs ?? {});
  if (outputs.length > 0) {
    lines.push('', '| output | URI |', '| --- | --- |');
    for (const [name, uri] of outputs) lines.push(`| ${escapeCell(name)} | \`${escapeCell(uri)}\` |`);
  }
  const metrics = Object.entries(parts.outcome?.metrics ?? {});
  if (metrics.length > 0) {
    lines.push('', '| metric | value |', '| --- | --- |');
    for (const [name, value] of metrics) lines.push(`| ${escapeCell(name)} | ${value} |`);
  }
  context.summary.append(lines.join('\n') + '\n');
}

/** Polls a resource's provisioningState with backoff until Succeeded (or fails saying Failed). */
async function waitForProvisioning(
  state: () => Promise<string | undefined>,
  options: { log: ActionContext['log']; what: string; timeoutMs: number },
): Promise<void> {
  const started = Date.now();
  for (let wait = 250; ; wait = Math.min(wait * 2, POLL_INTERVAL_MS)) {
    const now = await state().catch((error: unknown) => {
      throw explainArmError(error, options.what);
    });
    if (now === 'Succeeded' || now === undefined) {
      options.log.info(`${options.what}: done in ${formatDuration(Date.now() - started)}.`);
      return;
    }
    if (now === 'Failed' || now === 'Canceled') throw new UserError(`${options.what} ended ${now}.`);
    if (Date.now() - started > options.timeoutMs)
      throw new UserError(`${options.what} did not finish within ${formatDuration(options.timeoutMs)}.`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** Post step: cancels the job this step was waiting for when the workflow was cancelled. */
export async function cancelJob(context: ActionContext, inputs: PipelineInputs, runId: string): Promise<void> {
  const settings = inputs.common.azure;
  const { client } = openClient(context, settings);
  const job = await readJob(client, settings, runId);
  const status = String((job.properties as { status?: string }).status);
  // A NotResponding or Paused job is still alive (and billing): it is cancelled like a running one.
  if (['Completed', 'Failed', 'Canceled', 'CancelRequested'].includes(status)) return;
  context.log.warning(`The workflow stopped while job ${runId} was ${status}: cancelling it.`);
  await waitForOperation(
    () =>
      client.jobs.beginCancel(settings.resourceGroup, settings.workspace, runId, {
        updateIntervalInMs: POLL_INTERVAL_MS,
      }),
    { log: context.log, what: `Cancelling job ${runId}`, timeoutMs: 5 * 60_000 },
  );
}
