// With --state-dir the emulator keeps its resources, principals and role assignments across
// restarts (Azurite keeps the blobs in the same folder). Signing keys are new at every start, so
// tokens from a previous run are refused, as after a key rollover.
import { writeFileSync, readFileSync, renameSync } from 'node:fs';
import type { EmulatorContext, Principal, RoleAssignment, StoredResource } from './context.js';

interface SavedState {
  /** The emulator's origin when saved: URLs holding it (issuer, scoring URIs...) move to the new one. */
  baseUrl?: string;
  principals: Principal[];
  roleAssignments: RoleAssignment[];
  resources: StoredResource[];
  extra: Record<string, unknown>;
}

export function saveState(ctx: EmulatorContext, file: string): void {
  const state: SavedState = {
    baseUrl: ctx.baseUrl,
    principals: [...ctx.principals.values()],
    roleAssignments: ctx.roleAssignments,
    resources: [...ctx.resources.values()],
    extra: Object.fromEntries([...ctx.extra].map(([k, v]) => [k, v instanceof Map ? Object.fromEntries(v) : v])),
  };
  writeFileSync(`${file}.tmp`, JSON.stringify(state));
  renameSync(`${file}.tmp`, file);
}

export function loadState(ctx: EmulatorContext, file: string): void {
  let text = readFileSync(file, 'utf8');
  const old = (JSON.parse(text) as SavedState).baseUrl;
  if (old && old !== ctx.baseUrl) {
    // The port changes between runs: rewrite every URL of the old origin (JSON-escaped forms too).
    text = text.split(old).join(ctx.baseUrl);
    text = text.split(old.replace(/\//g, '\\/')).join(ctx.baseUrl);
    text = text.split(old.replace(/^https:\/\//, '')).join(ctx.baseUrl.replace(/^https:\/\//, ''));
  }
  const state = JSON.parse(text) as SavedState;
  for (const p of state.principals) {
    ctx.principals.set(p.appId.toLowerCase(), p);
    for (const secret of p.secrets) ctx.issueSecret('client secret', secret);
  }
  ctx.roleAssignments.push(...state.roleAssignments);
  for (const r of state.resources) {
    // Operations in flight at the stop did not survive it: they end as failed (jobs: canceled).
    const props = r.body.properties as Record<string, unknown> | undefined;
    if (props && ['Creating', 'Updating', 'Scaling', 'Deleting'].includes(String(props.provisioningState))) {
      props.provisioningState = 'Failed';
    }
    if (
      props &&
      typeof props.jobType === 'string' &&
      !['Completed', 'Failed', 'Canceled'].includes(String(props.status))
    ) {
      props.status = 'Canceled';
    }
    ctx.resources.set(r.id.toLowerCase(), r);
  }
  for (const [k, v] of Object.entries(state.extra ?? {})) ctx.extra.set(k, v);
}
