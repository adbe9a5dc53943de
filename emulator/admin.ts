// The admin API (under adminUrl = https://127.0.0.1:PORT/admin): the request log, fault rules,
// service principals and role assignments, and the claims of the next GitHub ID tokens. It is not
// logged and not subject to faults. No authentication: the emulator listens on 127.0.0.1 only.
import { randomUUID } from 'node:crypto';
import type { EmulatorContext, FederatedCredential, Principal } from './context.js';
import { parseFaultRule } from './faults.js';
import { ArmError, isRecord, json, parseJsonBody, type EmuRequest, type Reply } from './http.js';
import { findRole } from './rbac.js';
import { getResource } from './arm/store.js';
import { submitJob } from './arm/jobs.js';

export const defaultAudience = 'api://AzureADTokenExchange';

export interface PrincipalInput {
  clientId?: string;
  objectId?: string;
  displayName?: string;
  secret?: string;
  /** Client secrets: the value, or Graph's passwordCredential shape with an end date (after it: AADSTS7000222). */
  secrets?: (string | { secretText: string; endDateTime?: string })[];
  federatedCredentials?: { name?: string; issuer?: string; subject: string; audiences?: string[] }[];
  /** Role assignments: role name or id, scope (default: the workspace). */
  roles?: { role: string; scope?: string }[];
}

/** Adds (or extends) a service principal; used by the admin API and the seed. */
export function addPrincipal(ctx: EmulatorContext, input: PrincipalInput): Principal {
  const clientId = input.clientId ?? randomUUID();
  let p = ctx.principals.get(clientId.toLowerCase());
  if (!p) {
    p = {
      appId: clientId,
      objectId: input.objectId ?? randomUUID(),
      displayName: input.displayName ?? `sp-${clientId.slice(0, 8)}`,
      secrets: [],
      federatedCredentials: [],
    };
    ctx.principals.set(clientId.toLowerCase(), p);
  }
  for (const given of [...(input.secret ? [input.secret] : []), ...(input.secrets ?? [])]) {
    const { secretText, endDateTime } =
      typeof given === 'string' ? { secretText: given, endDateTime: undefined } : given;
    if (!p.secrets.includes(secretText)) p.secrets.push(secretText);
    if (endDateTime !== undefined) p.secretEndDates = { ...p.secretEndDates, [secretText]: endDateTime };
    ctx.issueSecret('client secret', secretText);
  }
  for (const f of input.federatedCredentials ?? []) {
    const fic: FederatedCredential = {
      name: f.name ?? `fic-${p.federatedCredentials.length + 1}`,
      issuer: f.issuer ?? ctx.oidcIssuer,
      subject: f.subject,
      audiences: f.audiences ?? [defaultAudience],
    };
    const same = p.federatedCredentials.some(
      (x) => x.issuer === fic.issuer && x.subject === fic.subject && x.audiences.join() === fic.audiences.join(),
    );
    if (!same) p.federatedCredentials.push(fic);
  }
  for (const r of input.roles ?? []) {
    const role = findRole(r.role);
    if (!role)
      throw new ArmError(
        400,
        'RoleDefinitionDoesNotExist',
        `The specified role definition '${r.role}' does not exist.`,
      );
    const scope = r.scope ?? ctx.workspaceId;
    if (
      ctx.roleAssignments.some(
        (a) =>
          a.principalId === p.objectId && a.roleName === role.name && a.scope.toLowerCase() === scope.toLowerCase(),
      )
    )
      continue;
    ctx.roleAssignments.push({
      id: randomUUID(),
      principalId: p.objectId,
      roleName: role.name,
      scope: r.scope ?? ctx.workspaceId,
    });
  }
  return p;
}

function publicPrincipal(ctx: EmulatorContext, p: Principal): Record<string, unknown> {
  return {
    clientId: p.appId,
    objectId: p.objectId,
    displayName: p.displayName,
    secrets: p.secrets.length,
    federatedCredentials: p.federatedCredentials,
    roleAssignments: ctx.roleAssignments.filter((r) => r.principalId === p.objectId),
  };
}

/** A client secret: a string, or `{secretText, endDateTime}` (Microsoft Graph's passwordCredential). */
function parseSecret(given: unknown): string | { secretText: string; endDateTime?: string } {
  if (typeof given === 'string') return given;
  if (!isRecord(given) || typeof given.secretText !== 'string')
    throw new ArmError(400, 'InvalidRequest', 'Each secret is a string or {secretText, endDateTime?}.');
  if (given.endDateTime === undefined) return { secretText: given.secretText };
  if (typeof given.endDateTime !== 'string' || Number.isNaN(Date.parse(given.endDateTime)))
    throw new ArmError(400, 'InvalidRequest', "'endDateTime' must be an ISO 8601 date and time.");
  return { secretText: given.secretText, endDateTime: given.endDateTime };
}

export function parsePrincipalInput(body: unknown): PrincipalInput {
  if (!isRecord(body)) throw new ArmError(400, 'InvalidRequest', 'Expected a JSON object.');
  const out: PrincipalInput = {};
  for (const k of ['clientId', 'objectId', 'displayName', 'secret'] as const) {
    const v = body[k];
    if (v !== undefined) {
      if (typeof v !== 'string') throw new ArmError(400, 'InvalidRequest', `'${k}' must be a string.`);
      out[k] = v;
    }
  }
  if (Array.isArray(body.secrets)) out.secrets = body.secrets.map(parseSecret);
  if (Array.isArray(body.federatedCredentials)) {
    out.federatedCredentials = body.federatedCredentials.map((f: unknown) => {
      if (!isRecord(f) || typeof f.subject !== 'string') {
        throw new ArmError(
          400,
          'InvalidRequest',
          "Each federated credential needs 'subject' (and optionally issuer, audiences, name).",
        );
      }
      return {
        subject: f.subject,
        ...(typeof f.issuer === 'string' ? { issuer: f.issuer } : {}),
        ...(typeof f.name === 'string' ? { name: f.name } : {}),
        ...(Array.isArray(f.audiences) ? { audiences: f.audiences.map(String) } : {}),
      };
    });
  }
  if (Array.isArray(body.roles)) {
    out.roles = body.roles.map((r: unknown) => {
      if (typeof r === 'string') return { role: r };
      if (!isRecord(r) || typeof r.role !== 'string')
        throw new ArmError(400, 'InvalidRequest', "Each role needs 'role' (and optionally 'scope').");
      return { role: r.role, ...(typeof r.scope === 'string' ? { scope: r.scope } : {}) };
    });
  }
  return out;
}

export async function handleAdmin(ctx: EmulatorContext, req: EmuRequest): Promise<Reply> {
  const sub = req.path.slice('/admin'.length) || '/';
  const key = `${req.method} ${sub.toLowerCase()}`;
  switch (key) {
    case 'GET /requests': {
      const service = req.query.get('service');
      const since = Number(req.query.get('since') ?? '0');
      const path = req.query.get('path')?.toLowerCase();
      return json(200, {
        value: ctx.requests.filter(
          (r) => (!service || r.service === service) && r.id > since && (!path || r.path.toLowerCase().includes(path)),
        ),
      });
    }
    case 'DELETE /requests':
      ctx.requests.length = 0;
      return { status: 204 };
    case 'GET /secrets': {
      // Every credential issued so far (or those after `since`), for tests that prove none leaked.
      const since = Number(req.query.get('since') ?? '0');
      return json(200, { emulator: ctx.instanceId, value: ctx.issued.filter((s) => s.id > since) });
    }
    case 'GET /faults':
      return json(200, { value: ctx.faults });
    case 'POST /faults': {
      const body = parseJsonBody(req);
      const rules = (Array.isArray(body) ? body : [body]).map(parseFaultRule);
      ctx.faults.push(...rules);
      return json(201, Array.isArray(body) ? { value: rules } : rules[0]);
    }
    case 'DELETE /faults':
      ctx.faults = [];
      return { status: 204 };
    case 'GET /principals':
      return json(200, { value: [...ctx.principals.values()].map((p) => publicPrincipal(ctx, p)) });
    case 'POST /principals': {
      const p = addPrincipal(ctx, parsePrincipalInput(parseJsonBody(req)));
      return json(201, publicPrincipal(ctx, p));
    }
    case 'DELETE /roleassignments': {
      const principal = req.query.get('principal') ?? '';
      const p = ctx.principals.get(principal.toLowerCase()) ?? ctx.principalByObjectId(principal);
      if (!p) throw new ArmError(404, 'PrincipalNotFound', `No principal '${principal}'.`);
      for (let i = ctx.roleAssignments.length - 1; i >= 0; i--) {
        if (ctx.roleAssignments[i]?.principalId === p.objectId) ctx.roleAssignments.splice(i, 1);
      }
      return { status: 204 };
    }
    case 'GET /oidc/claims':
      return json(200, ctx.oidcOverrides);
    case 'POST /oidc/claims': {
      const body = parseJsonBody(req);
      if (!isRecord(body)) throw new ArmError(400, 'InvalidRequest', 'Expected a JSON object of claims.');
      ctx.oidcOverrides = { ...body };
      return json(200, ctx.oidcOverrides);
    }
    case 'DELETE /oidc/claims':
      ctx.oidcOverrides = {};
      return { status: 204 };
    case 'POST /taken-endpoint-names': {
      const body = parseJsonBody(req);
      if (!isRecord(body) || !Array.isArray(body.names) || body.names.some((n) => typeof n !== 'string'))
        throw new ArmError(400, 'InvalidRequest', 'Expected {"names": ["endpoint-name", ...]}.');
      for (const name of body.names as string[]) ctx.takenEndpointNames.add(name.toLowerCase());
      return json(200, { names: [...ctx.takenEndpointNames] });
    }
    case 'DELETE /taken-endpoint-names':
      ctx.takenEndpointNames.clear();
      return { status: 204 };
    default:
      {
        // POST /schedules/{name}/trigger: fire a schedule now (the emulator never fires them on time).
        const m = /^\/schedules\/([^/]+)\/trigger$/i.exec(sub);
        if (req.method === 'POST' && m) {
          const name = decodeURIComponent(m[1] as string);
          const schedule = getResource(ctx, `${ctx.workspaceId}/schedules/${name}`);
          if (!schedule) throw new ArmError(404, 'NotFound', `No schedule '${name}'.`);
          const props = schedule.body.properties as Record<string, unknown>;
          if (props.isEnabled === false) throw new ArmError(409, 'Conflict', `Schedule '${name}' is disabled.`);
          const action = props.action as Record<string, unknown>;
          const definition = { ...(action.jobDefinition as Record<string, unknown>) };
          definition.tags = {
            ...((definition.tags as Record<string, unknown> | undefined) ?? {}),
            'azureml.schedule': String(schedule.body.name),
          };
          const jobName = `${String(schedule.body.name)}-${Date.now()}`.slice(0, 255);
          const job = submitJob(ctx, jobName, definition, `schedule:${String(schedule.body.name)}`, undefined);
          return json(201, { job: job.body.name, id: job.id });
        }
      }
      if (req.method === 'DELETE' && sub.toLowerCase().startsWith('/faults/')) {
        const id = sub.slice('/faults/'.length);
        const before = ctx.faults.length;
        ctx.faults = ctx.faults.filter((f) => f.id !== id);
        return { status: before === ctx.faults.length ? 404 : 204 };
      }
      throw new ArmError(404, 'NotFound', `The admin API has no ${req.method} ${sub}.`);
  }
}
