// Which api-versions of Microsoft.MachineLearningServices the emulator serves, and where a version's
// differences from the shape the handlers use go.
//
// 2022-10-01 is what `@azure/arm-machinelearning` 2.1.1 sends; 2024-04-01, the newest stable version
// whose swagger the lock pins, is what our actions send for jobs and components and is served for
// every operation. Every other version is served only for the operations Microsoft's Python SDK v2
// calls at it (plus operation-status polling, whose URLs carry the api-version of the request that
// started the operation):
// - azure-ai-ml 1.35 (python/requirements.lock; its MLClient in azure/ai/ml/_ml_client.py picks one
//   generated client per operation group): 2023-04-01 code (and CodeVersions_CreateOrGetStartPendingUpload),
//   2023-04-01-preview data, environments, online deployments and jobs (cancel), 2023-06-01-preview
//   schedules, 2023-08-01-preview models and computes, 2024-01-01-preview components and jobs (get,
//   list, pipeline/AutoML/sweep create), 2024-10-01-preview workspaces and datastores,
//   2025-01-01-preview command jobs (create), 2022-02-01-preview online endpoints;
// - azure-ai-ml 1.4 (early 2023, still in Debian): 2022-02-01-preview online endpoints and
//   deployments, 2022-05-01 models, code, environments, 2022-10-01-preview workspaces, computes,
//   jobs, schedules.
// A version without a pinned swagger is validated against the first pinned one at or after it (the
// stable version its generally available fields reached; spec.ts nearestSpecVersion): its adapter's
// `request` removes the preview-only fields first, so each adapter is the written list of that
// version's allowed differences (also in emulator/README.md, section "azure-ai-ml"), and the
// handler's response is rewritten by `response`.

import { isRecord } from '../http.js';

export interface ApiVersionAdapter {
  /** operationIds served at this version (all when absent). */
  operations?: RegExp;
  /** Request body in this version's shape → the 2022-10-01 shape the handlers use. */
  request?(operationId: string, body: unknown): unknown;
  /** Response body in the 2022-10-01 shape → this version's shape. */
  response?(operationId: string, body: unknown): unknown;
}

const OPERATION_STATUS = 'Operation(Status|Result)_Get';

/** Applies `fix` to the resource in a body, or to each resource of a list's `value`. */
function eachResource(body: unknown, fix: (resource: Record<string, unknown>) => void): unknown {
  if (!isRecord(body)) return body;
  if (Array.isArray(body.value)) {
    for (const item of body.value) if (isRecord(item)) fix(item);
  } else fix(body);
  return body;
}

function propertiesOf(resource: Record<string, unknown>): Record<string, unknown> | undefined {
  return isRecord(resource.properties) ? resource.properties : undefined;
}

export const armApiVersions: Record<string, ApiVersionAdapter> = {
  '2022-10-01': {},
  // Validated against its own swagger; a superset of 2022-10-01 for what the handlers read.
  '2024-04-01': {},
  // azure-ai-ml: ModelOperations, CodeOperations, EnvironmentOperations (and batch endpoints, not served).
  '2022-05-01': {
    operations: new RegExp(`^((Model|Code|Environment)(Containers|Versions)_|${OPERATION_STATUS})`),
    response(operationId, body) {
      // 2022-05-01's model deserializer iterates `flavors`: null crashes azure-ai-ml (Model._from_rest_object).
      if (operationId.startsWith('ModelVersions_'))
        return eachResource(body, (r) => {
          const p = propertiesOf(r);
          if (p && !isRecord(p.flavors)) p.flavors = {};
        });
      return body;
    },
  },
  // azure-ai-ml: OnlineEndpointOperations, OnlineDeploymentOperations.
  '2022-02-01-preview': {
    operations: new RegExp(`^(OnlineEndpoints_|OnlineDeployments_|${OPERATION_STATUS})`),
    request(operationId, body) {
      // Preview-only: a private network connection flag (2022-10-01 has egressPublicNetworkAccess),
      // and mirrored traffic (azure-ai-ml always sends `mirrorTraffic`, {} unless set).
      if (operationId.startsWith('OnlineDeployments_')) drop(body, ['properties', 'privateNetworkConnection']);
      if (operationId.startsWith('OnlineEndpoints_')) drop(body, ['properties', 'mirrorTraffic']);
      return body;
    },
  },
  // azure-ai-ml 1.35: CodeOperations (content-hash lookup, startPendingUpload, create).
  '2023-04-01': {
    operations: new RegExp(`^(Code(Containers|Versions)_|${OPERATION_STATUS})`),
    request(operationId, body) {
      // azure-ai-ml 1.35 sends `properties: {hash_sha256: "...", hash_version: 202208}`, a number in
      // what the spec types as a string map (entities/_assets/_artifacts/code.py); Azure takes it
      // (every `az ml` code upload sends it) and answers it as the string "202208".
      if (operationId === 'CodeVersions_CreateOrUpdate') stringifyScalars(body, ['properties', 'properties']);
      return body;
    },
  },
  // azure-ai-ml 1.35: DataOperations, EnvironmentOperations, OnlineDeploymentOperations, JobOperations
  // (cancel, delete, and create for job types without a newer client); the endpoint a deployment goes to.
  '2023-04-01-preview': {
    operations: new RegExp(
      `^((Data|Environment)(Containers|Versions)_|OnlineDeployments_|OnlineEndpoints_Get$|Jobs_(Cancel|Delete|CreateOrUpdate)|${OPERATION_STATUS})`,
    ),
    request: (operationId, body) => dropPreviewFields('2023-04-01-preview', operationId, body),
  },
  // azure-ai-ml 1.35: ScheduleOperations.
  '2023-06-01-preview': {
    operations: new RegExp(`^(Schedules_|${OPERATION_STATUS})`),
    request: (operationId, body) => dropPreviewFields('2023-06-01-preview', operationId, body),
  },
  // azure-ai-ml 1.35: ModelOperations, ComputeOperations.
  '2023-08-01-preview': {
    operations: new RegExp(`^(Model(Containers|Versions)_|Compute_|${OPERATION_STATUS})`),
    request: (operationId, body) => dropPreviewFields('2023-08-01-preview', operationId, body),
  },
  // azure-ai-ml 1.35: ComponentOperations; JobOperations get, list and pipeline/AutoML/sweep create.
  '2024-01-01-preview': {
    operations: new RegExp(`^(Component(Containers|Versions)_|Jobs_|${OPERATION_STATUS})`),
    request: (operationId, body) => dropPreviewFields('2024-01-01-preview', operationId, body),
  },
  // azure-ai-ml 1.35: WorkspaceOperations, DatastoreOperations (the TypeSpec-generated client).
  '2024-10-01-preview': {
    operations: new RegExp(`^(Workspaces_|Datastores_|${OPERATION_STATUS})`),
  },
  // azure-ai-ml 1.35: JobOperations create for command jobs.
  '2025-01-01-preview': {
    operations: new RegExp(`^(Jobs_CreateOrUpdate|${OPERATION_STATUS})`),
    request: (operationId, body) => dropPreviewFields('2025-01-01-preview', operationId, body),
  },
  // azure-ai-ml: WorkspaceOperations, ComputeOperations, JobOperations, ScheduleOperations.
  '2022-10-01-preview': {
    operations: new RegExp(`^(Workspaces_|Compute_|Jobs_|Schedules_|${OPERATION_STATUS})`),
    request(operationId, body) {
      // Preview-only job fields (the emulator trains nothing, so they change nothing it does).
      const job =
        operationId === 'Jobs_CreateOrUpdate'
          ? ['properties']
          : operationId === 'Schedules_CreateOrUpdate'
            ? ['properties', 'action', 'jobDefinition']
            : undefined;
      if (job) for (const path of PREVIEW_JOB_FIELDS) drop(body, [...job, ...path]);
      return body;
    },
  },
};

/** Job fields of 2022-10-01-preview that 2022-10-01 lacks (from azure-ai-ml 1.4's generated models). */
const PREVIEW_JOB_FIELDS: string[][] = [
  ['autologgerSettings'], // CommandJob
  ['services', '*', 'nodes'], // JobService
  ['taskDetails', 'fixedParameters'], // AutoML verticals
  ['taskDetails', 'searchSpace'],
  ['taskDetails', 'sweepSettings'],
  ['taskDetails', 'limitSettings', 'sweepTrials'], // TableVerticalLimitSettings
  ['taskDetails', 'limitSettings', 'sweepConcurrentTrials'],
  ['taskDetails', 'limitSettings', 'maxNodes'], // NlpVerticalLimitSettings
];

/**
 * Fields azure-ai-ml 1.35 sends at a preview version that the 2024-04-01 swagger (what these versions
 * are validated against) does not have, by operation: each is preview-only, and the emulator does
 * nothing with it. Paths as in `drop` (`*` = every key of an object).
 */
const PREVIEW_ONLY_FIELDS: Record<string, Record<string, string[][]>> = {
  // AutoML's sweep limits (TableVerticalLimitSettings) are preview-only.
  '2024-01-01-preview': {
    Jobs_CreateOrUpdate: [
      ['properties', 'taskDetails', 'limitSettings', 'sweepTrials'],
      ['properties', 'taskDetails', 'limitSettings', 'sweepConcurrentTrials'],
    ],
  },
};

function dropPreviewFields(version: string, operationId: string, body: unknown): unknown {
  for (const path of PREVIEW_ONLY_FIELDS[version]?.[operationId] ?? []) drop(body, path);
  return body;
}

/** Turns the number and boolean values of the object at `path` into strings, in place. */
function stringifyScalars(body: unknown, path: string[]): void {
  let node = body;
  for (const key of path) node = isRecord(node) ? node[key] : undefined;
  if (!isRecord(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (typeof value === 'number' || typeof value === 'boolean') node[key] = String(value);
  }
}

/** Deletes the field at `path` (`*` = every key of an object) from a JSON body, in place. */
function drop(body: unknown, path: string[]): void {
  if (!isRecord(body) || path.length === 0) return;
  const [head, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) {
    delete body[head];
    return;
  }
  const next = head === '*' ? Object.values(body) : [body[head]];
  for (const child of next) drop(child, rest);
}

/** The api-versions that serve an operation. */
export function apiVersionsOf(operationId: string): string[] {
  return Object.entries(armApiVersions)
    .filter(([, adapter]) => !adapter.operations || adapter.operations.test(operationId))
    .map(([version]) => version);
}

/** api-versions of Microsoft.Authorization the permissions API accepts. */
export const authorizationApiVersions = ['2015-07-01', '2018-01-01-preview', '2022-04-01'];
