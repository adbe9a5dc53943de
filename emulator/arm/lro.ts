// Long-running operations the way Azure ML's ARM API runs them: PUT answers 201 with the resource in
// a non-terminal provisioningState and an `Azure-AsyncOperation` URL; DELETE and PATCH (and POST
// regenerateKeys) answer 202 with `Location` and `Retry-After`. The operation advances on timers;
// fault rules can make it slow or end in Failed. Only operations DESIGN.md lists as long-running use
// this (online endpoints and deployments, computes, schedules, regenerateKeys, job cancel/delete).
import { randomUUID } from 'node:crypto';
import type { EmulatorContext, Operation } from '../context.js';
import type { FaultRule } from '../faults.js';
import { ArmError, json, type Reply } from '../http.js';
import { ML, type ArmRoute } from './router.js';

export interface LroPlan {
  ctx: EmulatorContext;
  resourceId: string;
  apiVersion: string;
  faults: FaultRule[];
  /** Number of lroStepMs steps the operation takes (default 2). */
  steps?: number;
  /** Runs when the operation's time is up; throw an ArmError or return an error to end in Failed. */
  complete(): void | { code: string; message: string } | Promise<void | { code: string; message: string }>;
  /** Runs when the operation ends in Failed (e.g. set provisioningState Failed). */
  failed(error: { code: string; message: string }): void;
}

/** Operation status path prefix (mfeOperationsStatus / mfeOperationResults, as Azure ML names them). */
function opUrl(
  ctx: EmulatorContext,
  kind: 'mfeOperationsStatus' | 'mfeOperationResults',
  id: string,
  apiVersion: string,
): string {
  const s = ctx.settings;
  return `${ctx.baseUrl}/subscriptions/${s.subscriptionId}/providers/${ML}/locations/${s.location}/${kind}/${id}?api-version=${apiVersion}`;
}

export function startOperation(plan: LroPlan): Operation {
  const { ctx } = plan;
  const op: Operation = {
    id: randomUUID(),
    resourceId: plan.resourceId,
    status: 'InProgress',
    startTime: new Date().toISOString(),
  };
  ctx.operations.set(op.id, op);
  const forced = plan.faults.find((f) => f.lroFailed)?.lroFailed;
  const duration =
    plan.faults.find((f) => f.lroDurationMs !== undefined)?.lroDurationMs ?? (plan.steps ?? 2) * ctx.settings.lroStepMs;
  ctx.later(duration, () => void finish());
  const finish = async (): Promise<void> => {
    let error: { code: string; message: string } | undefined = forced;
    if (!error) {
      try {
        const r = await plan.complete();
        if (r) error = r;
      } catch (e) {
        error =
          e instanceof ArmError
            ? { code: e.code, message: e.message }
            : { code: 'InternalServerError', message: String(e) };
      }
    }
    if (error) {
      plan.failed(error);
      op.status = 'Failed';
      op.error = error;
    } else op.status = 'Succeeded';
    op.endTime = new Date().toISOString();
  };
  return op;
}

/** 201 + Azure-AsyncOperation (PUT create/update). */
export function asyncOperationReply(
  ctx: EmulatorContext,
  op: Operation,
  apiVersion: string,
  status: number,
  body: unknown,
): Reply {
  return json(status, body, { 'azure-asyncoperation': opUrl(ctx, 'mfeOperationsStatus', op.id, apiVersion) });
}

/** 202 + Location + Retry-After (DELETE, PATCH, POST actions). */
export function locationReply(ctx: EmulatorContext, op: Operation, apiVersion: string, body?: unknown): Reply {
  return {
    status: 202,
    headers: {
      location: opUrl(ctx, 'mfeOperationResults', op.id, apiVersion),
      // 0 leaves the header out, so SDKs poll at their own interval instead of in a tight loop.
      ...(ctx.retryAfterSeconds > 0 ? { 'retry-after': String(ctx.retryAfterSeconds) } : {}),
      ...(body === undefined ? { 'content-length': '0' } : {}),
    },
    ...(body === undefined ? {} : { body }),
  };
}

function findOp(ctx: EmulatorContext, id: string): Operation {
  const op = ctx.operations.get(id);
  if (!op) throw new ArmError(404, 'NotFound', `Operation '${id}' was not found.`);
  return op;
}

const LOC = `/subscriptions/{subscriptionId}/providers/${ML}/locations/{location}`;

export const operationRoutes: ArmRoute[] = [
  {
    method: 'GET',
    path: `${LOC}/mfeOperationsStatus/{operationId}`,
    action: `${ML}/locations/mfeOperationsStatus/read`,
    operationId: 'OperationStatus_Get',
    noRbac: true,
    handler: (call) => {
      const op = findOp(call.ctx, call.params.operationId ?? '');
      return json(200, {
        id: `${call.req.path}`,
        name: op.id,
        status: op.status,
        startTime: op.startTime,
        ...(op.endTime ? { endTime: op.endTime } : {}),
        ...(op.error ? { error: { code: op.error.code, message: op.error.message, details: [] } } : {}),
      });
    },
  },
  {
    method: 'GET',
    path: `${LOC}/mfeOperationResults/{operationId}`,
    action: `${ML}/locations/mfeOperationResults/read`,
    operationId: 'OperationResult_Get',
    noRbac: true,
    handler: (call) => {
      const op = findOp(call.ctx, call.params.operationId ?? '');
      if (op.status === 'InProgress') return locationReply(call.ctx, op, call.apiVersion);
      if (op.status === 'Failed' && op.error) throw new ArmError(400, op.error.code, op.error.message); // 4xx: not retried by SDK pipelines
      return { status: 200, headers: { 'content-length': '0' } };
    },
  },
];
