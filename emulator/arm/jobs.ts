// Jobs (command, pipeline, AutoML, sweep, Spark): PUT answers 201 at once (not an LRO, DESIGN.md), then
// the job runs on timers through NotStarted → Queued → Running → Completed (or Failed when a fault
// rule's lroFailed matched the PUT); pipeline steps run one after another as child runs; AutoML
// produces a `best_model` output. Cancel (202 + Location) and delete (202 + Location) are LROs.
// Progress, logs and metrics are read through run history / MLflow (../dataplane.ts).
import { createHash } from 'node:crypto';
import type { EmulatorContext, StoredResource } from '../context.js';
import type { FaultRule } from '../faults.js';
import { ArmError, isRecord, json } from '../http.js';
import { findCompute } from './computes.js';
import { locationReply, startOperation } from './lro.js';
import { resolveAsset } from './onlineDeployments.js';
import { ML, WS, type ArmRoute } from './router.js';
import { deleteResource, getResource, listChildren, page, putResource, view } from './store.js';
import { requireWorkspace } from './workspaces.js';

export const terminalJobStates = ['Completed', 'Failed', 'Canceled'];

/** Run history of a job or a pipeline step (what the data plane serves). */
export interface RunRecord {
  runId: string;
  parentRunId?: string;
  experimentName: string;
  displayName: string;
  runType: string;
  status: string;
  createdUtc: string;
  startTimeUtc?: string;
  endTimeUtc?: string;
  error?: { code: string; message: string };
  /** The compute a step ran on. */
  target?: string;
  logs: string[];
  metrics: { key: string; value: number; step: number; timestamp: number }[];
  children: string[];
}

export function runs(ctx: EmulatorContext): Map<string, RunRecord> {
  let m = ctx.extra.get('runs') as Map<string, RunRecord> | Record<string, RunRecord> | undefined;
  if (!(m instanceof Map)) {
    m = new Map(Object.entries(m ?? {}));
    ctx.extra.set('runs', m);
  }
  return m;
}

function jobId(ctx: EmulatorContext, name: string): string {
  return `${ctx.workspaceId}/jobs/${name}`;
}

function bad(message: string): ArmError {
  return new ArmError(400, 'UserError', message);
}

function log(run: RunRecord, line: string): void {
  run.logs.push(`${new Date().toISOString()} ${line}`);
}

function setJobStatus(ctx: EmulatorContext, name: string, status: string): void {
  const r = getResource(ctx, jobId(ctx, name));
  if (r) (r.body.properties as Record<string, unknown>).status = status;
  const run = runs(ctx).get(name);
  if (run) {
    run.status = status;
    if (status === 'Running' && !run.startTimeUtc) run.startTimeUtc = new Date().toISOString();
    if (terminalJobStates.includes(status)) run.endTimeUtc ??= new Date().toISOString();
  }
}

/**
 * Serverless compute: azure-ai-ml 1.35 sends `compute: serverless` as the workspace's
 * `computes/serverless` (captured against this emulator: command jobs' computeId, pipelines'
 * settings.default_compute), and no computeId at all when a job names no compute. Azure resolves
 * neither to a cluster of the workspace (learn.microsoft.com, how-to-use-serverless-compute).
 */
export function isServerless(ctx: EmulatorContext, computeRef: unknown): boolean {
  if (computeRef === undefined || computeRef === null || computeRef === '') return true;
  return (
    typeof computeRef === 'string' &&
    computeRef.toLowerCase() === `${ctx.workspaceId}/computes/serverless`.toLowerCase()
  );
}

/**
 * A pipeline node's computeId may be a pipeline input binding: azure-ai-ml 1.35 sends
 * `${{parent.inputs.x}}` as written (captured from azureml-examples'
 * pipeline_with_train_eval_pipeline_component), and the service resolves it when the step runs.
 */
const COMPUTE_BINDING = /^\$\{\{\s*parent\.inputs\.([A-Za-z_][\w.]*)\s*\}\}$/;

function checkRefs(ctx: EmulatorContext, p: Record<string, unknown>, node = false): void {
  const bound = node && typeof p.computeId === 'string' && COMPUTE_BINDING.test(p.computeId);
  if (!bound && !isServerless(ctx, p.computeId) && typeof p.computeId === 'string' && !findCompute(ctx, p.computeId)) {
    throw bad(`Compute '${p.computeId}' was not found in the workspace.`);
  }
  if (
    typeof p.environmentId === 'string' &&
    !p.environmentId.startsWith('azureml://registries/') &&
    !resolveAsset(ctx, p.environmentId, 'environments')
  ) {
    throw bad(`Environment '${p.environmentId}' was not found in the workspace.`);
  }
  if (typeof p.codeId === 'string' && !resolveAsset(ctx, p.codeId, 'codes'))
    throw bad(`Code '${p.codeId}' was not found in the workspace.`);
  if (typeof p.componentId === 'string' && !resolveAsset(ctx, p.componentId, 'components')) {
    throw bad(`Component '${p.componentId}' was not found in the workspace.`);
  }
  const inputs: [string, unknown][] = isRecord(p.inputs) ? Object.entries(p.inputs) : [];
  // AutoML's training/validation/test data are inputs too.
  if (isRecord(p.taskDetails)) {
    for (const k of ['trainingData', 'validationData', 'testData']) {
      if (p.taskDetails[k] !== undefined) inputs.push([`taskDetails.${k}`, p.taskDetails[k]]);
    }
  }
  for (const [name, input] of inputs) {
    if (!isRecord(input) || typeof input.uri !== 'string') continue;
    const m = /^azureml:([^:/]+):([^:/]+)$/.exec(input.uri);
    const asArmId = input.uri.toLowerCase().startsWith(`${ctx.workspaceId.toLowerCase()}/data/`);
    const id = m
      ? `${ctx.workspaceId}/data/${m[1]}/versions/${m[2]}`
      : asArmId
        ? input.uri.replace(/^azureml:/, '')
        : undefined;
    if (id && !getResource(ctx, id))
      throw bad(`Input '${name}' refers to data asset '${input.uri}', which does not exist.`);
  }
}

/** Outputs declared without a uri get the default Azure gives them. */
function defaultOutputs(name: string, p: Record<string, unknown>): void {
  if (!isRecord(p.outputs)) return;
  for (const [key, out] of Object.entries(p.outputs)) {
    if (isRecord(out) && (out.uri === undefined || out.uri === null)) {
      out.uri = `azureml://datastores/workspaceblobstore/paths/azureml/${name}/${key}/`;
    }
  }
}

interface StepPlan {
  name: string;
  /** How run history shows the step (its display_name, else its name). */
  displayName: string;
  /** The compute the step runs on: its own, else the pipeline's default, else the job's. */
  compute: string | undefined;
}

/** A pipeline's steps: its own `jobs`, or those of the pipeline component it was submitted from. */
function stepsOf(ctx: EmulatorContext, p: Record<string, unknown>): StepPlan[] {
  if (p.jobType !== 'Pipeline') return [];
  let jobs = isRecord(p.jobs) && Object.keys(p.jobs).length > 0 ? p.jobs : undefined;
  if (!jobs && typeof p.componentId === 'string') {
    const component = resolveAsset(ctx, p.componentId, 'components');
    const spec = isRecord(component?.properties) ? component.properties.componentSpec : undefined;
    if (isRecord(spec) && isRecord(spec.jobs)) jobs = spec.jobs;
  }
  const settings = isRecord(p.settings) ? p.settings : {};
  const fallback =
    typeof settings.default_compute === 'string'
      ? settings.default_compute
      : typeof p.computeId === 'string'
        ? p.computeId
        : undefined;
  return Object.entries(jobs ?? {}).map(([name, step]) => ({
    name,
    // Run history shows a step by its display name when it has one, as Azure does.
    displayName:
      isRecord(step) && typeof step.display_name === 'string'
        ? step.display_name
        : isRecord(step) && typeof step.displayName === 'string'
          ? step.displayName
          : name,
    compute: isRecord(step) && typeof step.computeId === 'string' ? boundCompute(ctx, p, step.computeId) : fallback,
  }));
}

/** A step's compute, with a `${{parent.inputs.x}}` binding replaced by that input's value. */
function boundCompute(ctx: EmulatorContext, p: Record<string, unknown>, computeId: string): string {
  const m = COMPUTE_BINDING.exec(computeId);
  const input = m && isRecord(p.inputs) ? p.inputs[m[1] ?? ''] : undefined;
  if (!m) return computeId;
  return isRecord(input) && typeof input.value === 'string' ? `${ctx.workspaceId}/computes/${input.value}` : computeId;
}

/** What a failing script leaves at the end of its log, as a Python traceback does. */
function failureLog(run: RunRecord, failure: { code: string; message: string }, script: string): void {
  log(run, 'Traceback (most recent call last):');
  log(run, `  File "${script}", line 42, in <module>`);
  log(run, `    main()`);
  log(run, `${failure.code}: ${failure.message}`);
}

/** Runs the job on timers. */
function execute(
  ctx: EmulatorContext,
  name: string,
  failure: { code: string; message: string; step?: string } | undefined,
  durationMs: number | undefined,
  stall: FaultRule['jobStall'],
): void {
  const run = runs(ctx).get(name)!;
  const r = getResource(ctx, jobId(ctx, name));
  const p = r?.body.properties as Record<string, unknown>;
  const steps = stepsOf(ctx, p);
  // A job takes 3 + 2 per step ticks; a fault's lroDurationMs stretches them to that total.
  const ticks = 3 + Math.max(1, steps.length * 2);
  const step = durationMs === undefined ? ctx.settings.lroStepMs : Math.max(1, Math.round(durationMs / ticks));
  // The named step fails (the last one when the rule names none or a step the pipeline lacks).
  const named = failure?.step === undefined ? -1 : steps.findIndex((s) => s.name === failure.step);
  const failingIndex = failure === undefined || steps.length === 0 ? -1 : named >= 0 ? named : steps.length - 1;
  const stillRunning = (): boolean =>
    !terminalJobStates.includes(runs(ctx).get(name)?.status ?? 'Canceled') &&
    runs(ctx).get(name)?.status !== 'CancelRequested';
  // Azure's job lifecycle (the spec's JobStatus): NotStarted → Starting → Provisioning → Preparing →
  // Queued → Running → Finalizing → Completed (or Failed; CancelRequested → Canceled on cancel), and a
  // running job may be NotResponding or Paused for a while before it carries on (fault `jobStall`).
  const stallMs = stall?.ms ?? 0;
  /** Times after the stall began move by its length. */
  const later = (at: number, work: () => void) => ctx.later(at > 2.5 * step ? at + stallMs : at, work);
  const phases: Array<[number, string]> = [
    [0.25 * step, 'Starting'],
    [0.5 * step, 'Provisioning'],
    [0.75 * step, 'Preparing'],
  ];
  for (const [at, status] of phases)
    later(at, () => {
      if (stillRunning()) setJobStatus(ctx, name, status);
    });
  later(step, () => {
    if (!stillRunning()) return;
    setJobStatus(ctx, name, 'Queued');
    log(run, `Job ${name} queued on ${isServerless(ctx, p.computeId) ? 'serverless compute' : String(p.computeId)}`);
  });
  later(2 * step, () => {
    if (!stillRunning()) return;
    setJobStatus(ctx, name, 'Running');
    log(run, `Job ${name} running`);
  });
  if (stall) {
    ctx.later(2.5 * step, () => {
      if (!stillRunning()) return;
      setJobStatus(ctx, name, stall.status);
      log(run, `Job ${name} is ${stall.status}`);
    });
    ctx.later(2.5 * step + stallMs, () => {
      if (!stillRunning()) return;
      setJobStatus(ctx, name, 'Running');
      log(run, `Job ${name} running again`);
    });
  }
  // Steps after a failed one never start: Azure cancels the rest of the pipeline.
  const ranSteps = failingIndex >= 0 ? steps.slice(0, failingIndex + 1) : steps;
  const children = steps.map((s) => {
    const child: RunRecord = {
      runId: `${name}_${s.name}`.slice(0, 250),
      parentRunId: name,
      experimentName: run.experimentName,
      displayName: s.displayName,
      runType: 'azureml.StepRun',
      status: 'NotStarted',
      createdUtc: new Date().toISOString(),
      ...(s.compute ? { target: s.compute.split('/').pop() ?? s.compute } : {}),
      logs: [],
      metrics: [],
      children: [],
    };
    runs(ctx).set(child.runId, child);
    run.children.push(child.runId);
    return child;
  });
  ranSteps.forEach((s, i) => {
    const child = children[i] as RunRecord;
    later((3 + i * 2) * step, () => {
      if (!stillRunning()) return;
      child.status = 'Running';
      child.startTimeUtc = new Date().toISOString();
      log(
        child,
        `Step ${s.name} started on ${isServerless(ctx, child.target) ? 'serverless compute' : String(child.target)}`,
      );
    });
    later((4 + i * 2) * step, () => {
      if (!stillRunning()) return;
      if (failure && i === failingIndex) {
        child.status = 'Failed';
        child.error = { code: failure.code, message: failure.message };
        failureLog(child, failure, `${s.name}.py`);
      } else {
        child.status = 'Completed';
        log(child, `Step ${s.name} completed`);
        child.metrics.push({ key: 'duration_s', value: step / 1000, step: 0, timestamp: Date.now() });
      }
      child.endTimeUtc = new Date().toISOString();
    });
  });
  const end = (3 + Math.max(1, ranSteps.length * 2)) * step;
  later(end - step / 2, () => {
    if (stillRunning()) setJobStatus(ctx, name, 'Finalizing');
  });
  later(end, () => {
    if (!stillRunning()) return;
    if (failure) {
      for (const child of children.slice(failingIndex + 1)) child.status = 'Canceled';
      const failedStep = steps[failingIndex];
      run.error = failedStep
        ? { code: failure.code, message: `Pipeline step '${failedStep.name}' failed: ${failure.message}` }
        : { code: failure.code, message: failure.message };
      if (!failedStep) failureLog(run, failure, 'main.py');
      log(run, `Job failed: ${run.error.code}: ${run.error.message}`);
      setJobStatus(ctx, name, 'Failed');
      return;
    }
    if (p.jobType === 'AutoML') {
      const seed = parseInt(createHash('sha256').update(name).digest('hex').slice(0, 6), 16);
      const score = 0.8 + (seed % 1500) / 10000;
      const metric =
        isRecord(p.taskDetails) && typeof p.taskDetails.primaryMetric === 'string'
          ? p.taskDetails.primaryMetric
          : 'accuracy';
      run.metrics.push({
        key: metric.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase(),
        value: score,
        step: 0,
        timestamp: Date.now(),
      });
      const outputs = (isRecord(p.outputs) ? p.outputs : {}) as Record<string, unknown>;
      outputs.best_model = {
        jobOutputType: 'mlflow_model',
        mode: 'ReadWriteMount',
        uri: `azureml://datastores/workspaceblobstore/paths/azureml/${name}/best_model/`,
        description: 'Best model of the AutoML run (emulated: the emulator does not train models).',
      };
      p.outputs = outputs;
      log(run, `AutoML best model: ${metric} = ${score.toFixed(4)}`);
    } else {
      run.metrics.push({ key: 'duration_s', value: end / 1000, step: 0, timestamp: Date.now() });
    }
    log(run, 'Job completed');
    setJobStatus(ctx, name, 'Completed');
  });
}

/**
 * Why `uri` (azureml://jobs/{job}/outputs/{output}[/paths/...]) cannot be registered, or undefined
 * when it names an output of a completed job: Azure resolves such URIs when the asset is created.
 */
export function jobOutputProblem(ctx: EmulatorContext, uri: string): string | undefined {
  const m = /^azureml:\/\/jobs\/([^/]+)\/outputs\/([^/]+)(\/.*)?$/i.exec(uri);
  if (!m) return undefined;
  const [, job = '', output = ''] = m;
  const r = getResource(ctx, jobId(ctx, job));
  if (!r) return `'${uri}' refers to job '${job}', which does not exist.`;
  const p = r.body.properties as Record<string, unknown>;
  if (p.status !== 'Completed') return `'${uri}' refers to job '${job}', which is ${String(p.status)}, not Completed.`;
  if (!isRecord(p.outputs) || (!(output in p.outputs) && output !== 'artifacts'))
    return `Job '${job}' has no output '${output}'.`;
  return undefined;
}

/** Creates a job resource and its run, and starts executing it (PUT and triggered schedules). */
export function submitJob(
  ctx: EmulatorContext,
  name: string,
  p: Record<string, unknown>,
  principalName: string,
  failure: { code: string; message: string; step?: string } | undefined,
  durationMs?: number,
  stall?: FaultRule['jobStall'],
): StoredResource {
  const id = jobId(ctx, name);
  checkRefs(ctx, p);
  if (p.jobType === 'Pipeline' && isRecord(p.jobs)) {
    for (const [name, step] of Object.entries(p.jobs)) {
      if (!isRecord(step)) continue;
      checkRefs(ctx, step, true);
      const bound = typeof step.computeId === 'string' ? COMPUTE_BINDING.exec(step.computeId) : null;
      const input = bound && isRecord(p.inputs) ? p.inputs[bound[1] ?? ''] : undefined;
      if (bound && !isRecord(input))
        throw bad(
          `Step '${name}' binds its compute to pipeline input '${bound[1] ?? ''}', which the pipeline does not have.`,
        );
      // A sweep node points at its trial's component (azure-ai-ml's sweep node: trial.componentId).
      if (
        isRecord(step.trial) &&
        typeof step.trial.componentId === 'string' &&
        !resolveAsset(ctx, step.trial.componentId, 'components')
      )
        throw bad(
          `Component '${step.trial.componentId}' (the trial of step '${name}') was not found in the workspace.`,
        );
    }
  }
  defaultOutputs(name, p);
  const experimentName = typeof p.experimentName === 'string' && p.experimentName ? p.experimentName : 'Default';
  const b = ctx.baseUrl;
  const body = {
    id,
    name,
    type: `${ML}/workspaces/jobs`,
    properties: {
      description: null,
      tags: {},
      properties: {},
      displayName: name,
      isArchived: false,
      ...p,
      experimentName,
      status: 'NotStarted',
      services: {
        Tracking: {
          jobServiceType: 'Tracking',
          endpoint: `azureml://${b.replace(/^https:\/\//, '')}/mlflow/v1.0${ctx.workspaceId}?`,
        },
        Studio: { jobServiceType: 'Studio', endpoint: `${b}/studio/runs/${name}?wsid=${ctx.workspaceId}` },
      },
    },
  };
  const stored = putResource(ctx, id, body, principalName);
  runs(ctx).set(name, {
    runId: name,
    experimentName,
    displayName: String(body.properties.displayName),
    runType: p.jobType === 'Pipeline' ? 'azureml.PipelineRun' : p.jobType === 'AutoML' ? 'automl' : 'azureml.scriptrun',
    status: 'NotStarted',
    createdUtc: new Date().toISOString(),
    logs: [],
    metrics: [],
    children: [],
  });
  execute(ctx, name, failure, durationMs, stall);
  return stored;
}

export const jobRoutes: ArmRoute[] = [
  {
    method: 'GET',
    path: `${WS}/jobs`,
    action: `${ML}/workspaces/jobs/read`,
    operationId: 'Jobs_List',
    handler: (call) => {
      requireWorkspace(call);
      const type = call.req.query.get('jobType');
      const view_ = (call.req.query.get('listViewType') ?? 'ActiveOnly').toLowerCase();
      const items = listChildren(call.ctx, call.ctx.workspaceId, 'jobs')
        .map(view)
        .filter((j) => {
          const p = j.properties as Record<string, unknown>;
          const archived = p.isArchived === true;
          return (
            (!type || p.jobType === type) && (view_ === 'all' || (view_ === 'archivedonly' ? archived : !archived))
          );
        })
        .reverse();
      return json(200, page(items, call.req.query, call.url));
    },
  },
  {
    method: 'GET',
    path: `${WS}/jobs/{id}`,
    action: `${ML}/workspaces/jobs/read`,
    operationId: 'Jobs_Get',
    handler: (call) => {
      requireWorkspace(call);
      const r = getResource(call.ctx, jobId(call.ctx, call.params.id ?? ''));
      if (!r) throw new ArmError(404, 'UserError', `Job ${call.params.id ?? ''} was not found.`);
      return json(200, view(r));
    },
  },
  {
    method: 'PUT',
    path: `${WS}/jobs/{id}`,
    action: `${ML}/workspaces/jobs/write`,
    operationId: 'Jobs_CreateOrUpdate',
    handler: (call) => {
      requireWorkspace(call);
      const { ctx } = call;
      const name = call.params.id ?? '';
      if (!/^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$/.test(name))
        throw bad(`Job name '${name}' is invalid: letters, digits, '-' and '_', starting with a letter or digit.`);
      const input = call.body();
      if (!isRecord(input) || !isRecord(input.properties))
        throw bad("The request body needs 'properties' with 'jobType'.");
      const p = { ...input.properties };
      delete p.status;
      const id = jobId(ctx, name);
      const existing = getResource(ctx, id);
      if (existing) {
        const old = existing.body.properties as Record<string, unknown>;
        for (const k of Object.keys(p)) {
          if (['description', 'tags', 'properties', 'isArchived', 'displayName', 'services'].includes(k)) continue;
          if (JSON.stringify(old[k]) !== JSON.stringify(p[k])) {
            throw new ArmError(
              409,
              'UserError',
              `A job named '${name}' already exists; only its description, tags, properties, displayName and isArchived can be updated ('${k}' differs). Submit a new job with another name.`,
            );
          }
        }
        for (const k of ['description', 'tags', 'properties', 'isArchived', 'displayName']) if (k in p) old[k] = p[k];
        return json(200, view(putResource(ctx, id, existing.body, call.principalName)));
      }
      const stored = submitJob(
        ctx,
        name,
        p,
        call.principalName,
        call.faults.find((f) => f.lroFailed)?.lroFailed,
        call.faults.find((f) => f.lroDurationMs !== undefined)?.lroDurationMs,
        call.faults.find((f) => f.jobStall)?.jobStall,
      );
      return json(201, view(stored));
    },
  },
  {
    method: 'POST',
    path: `${WS}/jobs/{id}/cancel`,
    action: `${ML}/workspaces/jobs/cancel/action`,
    operationId: 'Jobs_Cancel',
    handler: (call) => {
      requireWorkspace(call);
      const { ctx } = call;
      const name = call.params.id ?? '';
      const r = getResource(ctx, jobId(ctx, name));
      if (!r) throw new ArmError(404, 'UserError', `Job ${name} was not found.`);
      const status = String((r.body.properties as Record<string, unknown>).status);
      if (terminalJobStates.includes(status)) {
        throw new ArmError(
          400,
          'UserError',
          `Job ${name} is already in terminal state '${status}' and cannot be canceled.`,
        );
      }
      setJobStatus(ctx, name, 'CancelRequested');
      const op = startOperation({
        ctx,
        resourceId: r.id,
        apiVersion: call.apiVersion,
        faults: call.faults,
        complete: () => {
          setJobStatus(ctx, name, 'Canceled');
          for (const c of runs(ctx).get(name)?.children ?? []) {
            const child = runs(ctx).get(c);
            if (child && !terminalJobStates.includes(child.status)) child.status = 'Canceled';
          }
        },
        failed: () => setJobStatus(ctx, name, 'Failed'),
      });
      return locationReply(ctx, op, call.apiVersion);
    },
  },
  {
    method: 'DELETE',
    path: `${WS}/jobs/{id}`,
    action: `${ML}/workspaces/jobs/delete`,
    operationId: 'Jobs_Delete',
    handler: (call) => {
      requireWorkspace(call);
      const { ctx } = call;
      const name = call.params.id ?? '';
      const r = getResource(ctx, jobId(ctx, name));
      if (!r) return { status: 204 };
      const op = startOperation({
        ctx,
        resourceId: r.id,
        apiVersion: call.apiVersion,
        faults: call.faults,
        complete: () => {
          deleteResource(ctx, r.id);
          const run = runs(ctx).get(name);
          for (const c of run?.children ?? []) runs(ctx).delete(c);
          runs(ctx).delete(name);
        },
        failed: () => undefined,
      });
      return locationReply(ctx, op, call.apiVersion);
    },
  },
];
