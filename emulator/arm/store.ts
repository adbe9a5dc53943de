// ARM resources kept by the emulator, by case-insensitive id, with systemData on the way out.
import type { EmulatorContext, StoredResource } from '../context.js';
import { ArmError } from '../http.js';

export function getResource(ctx: EmulatorContext, id: string): StoredResource | undefined {
  return ctx.resources.get(id.toLowerCase());
}

export function putResource(
  ctx: EmulatorContext,
  id: string,
  body: Record<string, unknown>,
  principal: string,
): StoredResource {
  const now = new Date().toISOString();
  const existing = getResource(ctx, id);
  const stored: StoredResource = existing
    ? { ...existing, body, modifiedAt: now, modifiedBy: principal }
    : { id, body, createdAt: now, createdBy: principal, modifiedAt: now, modifiedBy: principal };
  ctx.resources.set(id.toLowerCase(), stored);
  return stored;
}

export function deleteResource(ctx: EmulatorContext, id: string): boolean {
  const prefix = `${id.toLowerCase()}/`;
  for (const key of [...ctx.resources.keys()]) if (key.startsWith(prefix)) ctx.resources.delete(key);
  return ctx.resources.delete(id.toLowerCase());
}

/** Direct children of `parentId` of the given type (`.../models` → each `.../models/{name}`). */
export function listChildren(ctx: EmulatorContext, parentId: string, type: string): StoredResource[] {
  const prefix = `${parentId}/${type}/`.toLowerCase();
  const out: StoredResource[] = [];
  for (const [key, r] of ctx.resources) {
    if (key.startsWith(prefix) && !key.slice(prefix.length).includes('/')) out.push(r);
  }
  return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

/** The resource as ARM returns it: stored body plus id, name, type and systemData. */
export function view(r: StoredResource): Record<string, unknown> {
  return {
    ...r.body,
    systemData: {
      createdAt: r.createdAt,
      createdBy: r.createdBy,
      createdByType: 'Application',
      lastModifiedAt: r.modifiedAt,
      lastModifiedBy: r.modifiedBy,
      lastModifiedByType: 'Application',
    },
  };
}

export function notFound(type: string, name: string, ctx: EmulatorContext): ArmError {
  return new ArmError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${ctx.settings.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

/** The ML service's own 404 for things inside a workspace (assets, endpoints, computes...). */
export function mlNotFound(what: string, name: string): ArmError {
  return new ArmError(404, 'UserError', `${what} '${name}' could not be found.`, [
    { code: 'NotFound', message: `${what} '${name}' could not be found.` },
  ]);
}

/** A paged list the way ARM pages: `value` + `nextLink` carrying `$skipToken`. */
export function page(
  items: Record<string, unknown>[],
  query: URLSearchParams,
  selfUrl: string,
  pageSize = 100,
): Record<string, unknown> {
  const skip = Number(query.get('$skipToken') ?? query.get('$skiptoken') ?? '0') || 0;
  const top = Number(query.get('$top') ?? '0') || 0;
  const size = top > 0 ? Math.min(top, pageSize) : pageSize;
  const value = items.slice(skip, skip + size);
  const out: Record<string, unknown> = { value };
  if (skip + size < items.length && top === 0) {
    const u = new URL(selfUrl);
    u.searchParams.set('$skipToken', String(skip + size));
    out.nextLink = u.toString();
  }
  return out;
}
