// The workspace's data plane outside ARM, found through the workspace's `discoveryUrl` and
// `mlFlowTrackingUri` (DESIGN.md "Job progress, logs and metrics"): the discovery document, the
// run-history subset (run, details with log files, children, log text) and the MLflow subset
// (runs/get, metrics/get-history), modelled on azure-ai-ml's runhistory client and MLflow's REST
// API. Callers authenticate with an Entra token for ARM or https://ml.azure.com and need read
// access to the workspace's runs.
import { createHmac, randomBytes } from 'node:crypto';
import type { EmulatorContext } from './context.js';
import { ArmError, json, type EmuRequest, type Reply } from './http.js';
import { armAudiences, mlAudiences, verifyAccessToken } from './entra.js';
import { isAllowed } from './rbac.js';
import { runs, type RunRecord } from './arm/jobs.js';

const readAction = 'Microsoft.MachineLearningServices/workspaces/experiments/runs/read';

function runView(ctx: EmulatorContext, r: RunRecord): Record<string, unknown> {
  return {
    runId: r.runId,
    runUuid: r.runId,
    parentRunId: r.parentRunId ?? null,
    rootRunId: r.parentRunId ?? r.runId,
    experimentName: r.experimentName,
    displayName: r.displayName,
    runType: r.runType,
    status: r.status,
    createdUtc: r.createdUtc,
    startTimeUtc: r.startTimeUtc ?? null,
    endTimeUtc: r.endTimeUtc ?? null,
    error: r.error ? { error: { code: r.error.code, message: r.error.message } } : null,
    hasChildren: r.children.length > 0,
    target: r.target ?? null,
    properties: {},
    tags: {},
  };
}

function authorize(ctx: EmulatorContext, req: EmuRequest): void {
  const check = verifyAccessToken(ctx, req.headers.authorization, [...armAudiences, ...mlAudiences]);
  if (!check.ok) throw new ArmError(401, 'AuthenticationFailed', check.message);
  if (!check.principal) throw new ArmError(401, 'AuthenticationFailed', 'Unknown principal.');
  req.principal = check.principal.appId;
  if (!isAllowed(ctx, check.principal.objectId, readAction, ctx.workspaceId)) {
    throw new ArmError(
      403,
      'AuthorizationFailed',
      `The client '${check.principal.appId}' with object id '${check.principal.objectId}' does not have authorization to perform action '${readAction}' over scope '${ctx.workspaceId}'.`,
    );
  }
}

/** The signature of a run's log URL (a stand-in for a blob SAS): only log reads accept it. */
function logSignature(ctx: EmulatorContext, runId: string): string {
  let key = ctx.extra.get('log-sas-key') as string | undefined;
  if (!key) {
    key = randomBytes(32).toString('hex');
    ctx.extra.set('log-sas-key', key);
  }
  return createHmac('sha256', key).update(runId).digest('base64url');
}

/**
 * A signed log URL is read with its signature alone. Like a storage account given a bearer token
 * it was not meant for, the emulator refuses a signed URL that also carries an Authorization header:
 * a client that sends its ARM token to log URLs fails here.
 */
function checkLogSignature(ctx: EmulatorContext, req: EmuRequest, signature: string): void {
  if (req.headers.authorization !== undefined)
    throw new ArmError(
      401,
      'InvalidAuthenticationInfo',
      'A pre-signed (SAS) log URL was sent an Authorization header: such URLs must be fetched without a token.',
    );
  const parts = req.path.split('/').filter(Boolean);
  const at = parts.findIndex((part) => part.toLowerCase() === 'runs');
  const runId = decodeURIComponent(parts[at + 1] ?? '');
  const isLogRead = parts[at + 2]?.toLowerCase() === 'logs';
  if (!isLogRead || at < 0 || signature !== logSignature(ctx, runId))
    throw new ArmError(403, 'AuthenticationFailed', 'The signature of this URL is not valid for this resource.');
}

function getRun(ctx: EmulatorContext, id: string): RunRecord {
  const r = runs(ctx).get(decodeURIComponent(id));
  if (!r) throw new ArmError(404, 'UserError', `Run ${id} was not found.`);
  return r;
}

export function handleDataPlane(ctx: EmulatorContext, req: EmuRequest): Promise<Reply> {
  const b = ctx.baseUrl;
  if (req.method === 'GET' && req.path.toLowerCase() === '/discovery') {
    return Promise.resolve(
      json(200, {
        api: b,
        catalog: b,
        experimentation: b,
        gallery: b,
        history: b,
        hyperdrive: b,
        labeling: b,
        modelmanagement: b,
        pipelines: b,
        studio: b,
      }),
    );
  }
  const ws = ctx.workspaceId.toLowerCase();
  const lower = req.path.toLowerCase();
  const history = `/history/v1.0${ws}`;
  const mlflow = `/mlflow/v1.0${ws}/api/2.0/mlflow`;
  if (!lower.startsWith(history) && !lower.startsWith(mlflow)) {
    throw new ArmError(404, 'NotFound', `The emulator does not serve ${req.method} ${req.path}.`);
  }
  const signed = req.query.get('sig');
  if (signed === null) authorize(ctx, req);
  else checkLogSignature(ctx, req, signed);
  if (lower.startsWith(history)) {
    const rest = req.path.slice(history.length).split('/').filter(Boolean);
    // runs/{id}, runs/{id}/details, runs/{id}/children, runs/{id}/logs/{file},
    // experiments/{exp}/runs/{id}[/children|/details]
    const parts = rest[0]?.toLowerCase() === 'experiments' ? rest.slice(2) : rest;
    if (parts[0]?.toLowerCase() !== 'runs' || parts[1] === undefined)
      throw new ArmError(404, 'NotFound', `No run-history route ${req.path}.`);
    const run = getRun(ctx, parts[1]);
    const what = parts[2]?.toLowerCase();
    if (what === undefined) return Promise.resolve(json(200, runView(ctx, run)));
    if (what === 'children') {
      const value = run.children
        .map((c) => runs(ctx).get(c))
        .filter((c): c is RunRecord => c !== undefined)
        .map((c) => runView(ctx, c));
      return Promise.resolve(json(200, { value }));
    }
    if (what === 'details') {
      const base = `${b}${req.path.slice(0, history.length)}/runs/${encodeURIComponent(run.runId)}/logs`;
      return Promise.resolve(
        json(200, {
          ...runView(ctx, run),
          // As Azure's, log file URLs are pre-signed (SAS): fetched with no token.
          logFiles: {
            'user_logs/std_log.txt': `${base}/std_log.txt?sv=2021-08-06&sr=b&sp=r&sig=${logSignature(ctx, run.runId)}`,
          },
          warnings: [],
          services: {},
        }),
      );
    }
    if (what === 'logs') {
      return Promise.resolve({
        status: 200,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: run.logs.join('\n') + (run.logs.length ? '\n' : ''),
      });
    }
    throw new ArmError(404, 'NotFound', `No run-history route ${req.path}.`);
  }
  const route = req.path.slice(mlflow.length).toLowerCase();
  const runId = req.query.get('run_id') ?? req.query.get('run_uuid') ?? '';
  const run = getRun(ctx, runId);
  if (route === '/runs/get') {
    const latest = new Map<string, RunRecord['metrics'][number]>();
    for (const m of run.metrics) latest.set(m.key, m);
    const status =
      { Completed: 'FINISHED', Failed: 'FAILED', Canceled: 'KILLED' }[run.status] ??
      (run.status === 'Running' ? 'RUNNING' : 'SCHEDULED');
    return Promise.resolve(
      json(200, {
        run: {
          info: {
            run_id: run.runId,
            run_uuid: run.runId,
            experiment_id: run.experimentName,
            status,
            start_time: run.startTimeUtc ? Date.parse(run.startTimeUtc) : null,
            end_time: run.endTimeUtc ? Date.parse(run.endTimeUtc) : null,
          },
          data: {
            metrics: [...latest.values()],
            params: [],
            tags: [{ key: 'mlflow.runName', value: run.displayName }],
          },
        },
      }),
    );
  }
  if (route === '/metrics/get-history') {
    const key = req.query.get('metric_key') ?? '';
    return Promise.resolve(json(200, { metrics: run.metrics.filter((m) => m.key === key) }));
  }
  throw new ArmError(404, 'NotFound', `No MLflow route ${req.path}.`);
}
