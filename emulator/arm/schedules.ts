// Schedules (cron or recurrence triggers that create jobs): PUT 201/200 + Azure-AsyncOperation,
// DELETE 202 + Location (long-running, DESIGN.md). The emulator stores and validates schedules; it
// does not fire them (a test submits the job itself when it needs one).
import { ArmError, isRecord, json } from '../http.js';
import { asyncOperationReply, locationReply, startOperation } from './lro.js';
import { ML, WS, type ArmRoute } from './router.js';
import { deleteResource, getResource, listChildren, page, putResource, view } from './store.js';
import { requireWorkspace } from './workspaces.js';

function bad(message: string): ArmError {
  return new ArmError(400, 'UserError', message);
}

function setState(r: { body: Record<string, unknown> } | undefined, state: string): void {
  if (r) (r.body.properties as Record<string, unknown>).provisioningState = state;
}

const cronField = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;

export const scheduleRoutes: ArmRoute[] = [
  {
    method: 'GET',
    path: `${WS}/schedules`,
    action: `${ML}/workspaces/schedules/read`,
    operationId: 'Schedules_List',
    handler: (call) => {
      requireWorkspace(call);
      return json(
        200,
        page(listChildren(call.ctx, call.ctx.workspaceId, 'schedules').map(view), call.req.query, call.url),
      );
    },
  },
  {
    method: 'GET',
    path: `${WS}/schedules/{name}`,
    action: `${ML}/workspaces/schedules/read`,
    operationId: 'Schedules_Get',
    handler: (call) => {
      requireWorkspace(call);
      const r = getResource(call.ctx, `${call.ctx.workspaceId}/schedules/${call.params.name ?? ''}`);
      if (!r) throw new ArmError(404, 'UserError', `Schedule ${call.params.name ?? ''} was not found.`);
      return json(200, view(r));
    },
  },
  {
    method: 'PUT',
    path: `${WS}/schedules/{name}`,
    action: `${ML}/workspaces/schedules/write`,
    operationId: 'Schedules_CreateOrUpdate',
    handler: (call) => {
      requireWorkspace(call);
      const { ctx } = call;
      const name = call.params.name ?? '';
      const input = call.body();
      if (!isRecord(input) || !isRecord(input.properties))
        throw bad("The request body needs 'properties' with 'trigger' and 'action'.");
      const p = input.properties;
      const trigger = p.trigger;
      if (!isRecord(trigger)) throw bad("'trigger' is required.");
      if (trigger.triggerType === 'Cron') {
        const fields = typeof trigger.expression === 'string' ? trigger.expression.trim().split(/\s+/) : [];
        if (fields.length !== 5 || !fields.every((f) => cronField.test(f))) {
          throw bad(
            `Cron expression '${String(trigger.expression)}' is invalid: five fields (minute hour day month weekday).`,
          );
        }
      } else if (trigger.triggerType === 'Recurrence') {
        if (typeof trigger.interval !== 'number' || trigger.interval < 1)
          throw bad('A recurrence trigger needs an interval of at least 1.');
      } else throw bad(`triggerType '${String(trigger.triggerType)}' is not Cron or Recurrence.`);
      const action = p.action;
      if (!isRecord(action) || action.actionType !== 'CreateJob' || !isRecord(action.jobDefinition)) {
        throw bad(
          "'action' must be {actionType: 'CreateJob', jobDefinition: {...}} (the emulator does not invoke batch endpoints).",
        );
      }
      const id = `${ctx.workspaceId}/schedules/${name}`;
      const existing = getResource(ctx, id);
      if (
        existing &&
        !['Succeeded', 'Failed', 'Canceled'].includes(
          String((existing.body.properties as Record<string, unknown>).provisioningState),
        )
      ) {
        throw new ArmError(409, 'Conflict', `Schedule '${name}' is being changed; retry when its operation completes.`);
      }
      const body = {
        id,
        name,
        type: `${ML}/workspaces/schedules`,
        properties: {
          description: null,
          tags: {},
          properties: {},
          displayName: name,
          isEnabled: true,
          ...p,
          provisioningState: existing ? 'Updating' : 'Creating',
        },
      };
      const stored = putResource(ctx, id, body, call.principalName);
      const op = startOperation({
        ctx,
        resourceId: id,
        apiVersion: call.apiVersion,
        faults: call.faults,
        complete: () => setState(getResource(ctx, id), 'Succeeded'),
        failed: () => setState(getResource(ctx, id), 'Failed'),
      });
      return asyncOperationReply(ctx, op, call.apiVersion, existing ? 200 : 201, view(stored));
    },
  },
  {
    method: 'DELETE',
    path: `${WS}/schedules/{name}`,
    action: `${ML}/workspaces/schedules/delete`,
    operationId: 'Schedules_Delete',
    handler: (call) => {
      requireWorkspace(call);
      const { ctx } = call;
      const id = `${ctx.workspaceId}/schedules/${call.params.name ?? ''}`;
      const r = getResource(ctx, id);
      if (!r) return { status: 204 };
      setState(r, 'Deleting');
      const op = startOperation({
        ctx,
        resourceId: id,
        apiVersion: call.apiVersion,
        faults: call.faults,
        complete: () => {
          deleteResource(ctx, id);
        },
        failed: () => setState(getResource(ctx, id), 'Failed'),
      });
      return locationReply(ctx, op, call.apiVersion);
    },
  },
];
