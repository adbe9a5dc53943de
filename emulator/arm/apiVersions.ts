// Which api-versions of Microsoft.MachineLearningServices the emulator serves, and where a version's
// differences from 2022-10-01 go.
//
// 2022-10-01 is what `@azure/arm-machinelearning` 2.1.1 sends and what the swagger in
// ../shared/azure-spec describes. Microsoft's Python SDK v2 (azure-ai-ml 1.4) sends 2022-02-01-preview
// (online endpoints and deployments), 2022-05-01 (models, code, environments), 2022-10-01-preview
// (workspaces, computes, jobs, schedules) and 2022-10-01 (datastores, data, components). Each extra
// version is served only for the operations azure-ai-ml calls at it (plus operation-status polling,
// whose URLs carry the api-version of the request that started the operation). 2024-04-01, the
// newest stable version whose swagger the lock pins, is served for every operation and validated
// against its own swagger. A version without a pinned swagger is validated against the nearest pinned
// one (spec.ts nearestSpecVersion): its adapter's `request` removes the differences first, so each
// adapter is the written list of that version's allowed differences (also in emulator/README.md,
// section "azure-ai-ml"), and the handler's response is rewritten by `response`.

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
