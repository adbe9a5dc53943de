// Asset containers and versions (models, data, environments, code, components), shared by the
// per-type files. Decisions (DESIGN.md): versions are immutable: a PUT on an existing version may
// change only description, tags, properties and isArchived, anything else gets 409; asset PUTs answer
// at once (200 update / 201 create, no LRO); containers carry `latestVersion` and `nextVersion`.
import type { EmulatorContext, StoredResource } from '../context.js';
import { ArmError, isRecord, json } from '../http.js';
import { requireWorkspace } from './workspaces.js';
import { ML, WS, type ArmCall, type ArmRoute } from './router.js';
import { deleteResource, getResource, listChildren, mlNotFound, page, putResource, view } from './store.js';

export interface AssetKind {
  /** Path segment: `models`, `data`, `environments`, `codes`, `components`. */
  collection: string;
  /** Swagger operationId prefix: `Model` → ModelContainers_*, ModelVersions_*. */
  opName: string;
  /** Human name used in messages: `model`, `data asset`. */
  noun: string;
  /** Checks a version's `properties` (after defaults); returns error messages. */
  validate(properties: Record<string, unknown>, call: ArmCall): string[];
  /** Defaults Azure fills in on a version's properties. */
  defaults?(properties: Record<string, unknown>): Record<string, unknown>;
  /** Read-only version properties Azure sets (ignored in requests). */
  readOnly?: string[];
  /** Container properties derived from the first version (e.g. data's dataType). */
  containerFromVersion?(properties: Record<string, unknown>): Record<string, unknown>;
  /**
   * The version `properties` keys of a content hash and its algorithm version that `Versions_List`
   * finds by its `hash` and `hashVersion` query parameters, across every container.
   */
  contentHash?: { hash: string; hashVersion: string };
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$/;
const VERSION = /^[a-zA-Z0-9][a-zA-Z0-9\-_.]{0,29}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const mutableVersionKeys = ['description', 'tags', 'properties', 'isArchived'];

function containerId(ctx: EmulatorContext, kind: AssetKind, name: string): string {
  return `${ctx.workspaceId}/${kind.collection}/${name}`;
}

function badRequest(message: string, target?: string): ArmError {
  return new ArmError(400, 'UserError', message, [{ code: 'ValidationError', message, ...(target ? { target } : {}) }]);
}

function resourceBody(call: ArmCall): Record<string, unknown> {
  const body = call.body();
  if (!isRecord(body)) throw badRequest('The request body must be a JSON object with a "properties" object.');
  if (!isRecord(body.properties))
    throw badRequest("The request body is missing the required field 'properties'.", 'properties');
  return body.properties;
}

function checkCommon(p: Record<string, unknown>): void {
  if (p.description !== undefined && p.description !== null && typeof p.description !== 'string') {
    throw badRequest("'description' must be a string.", 'properties.description');
  }
  for (const k of ['tags', 'properties']) {
    const v = p[k];
    if (v === undefined || v === null) continue;
    if (!isRecord(v) || Object.values(v).some((x) => x !== null && typeof x !== 'string')) {
      throw badRequest(`'${k}' must be an object of string values.`, `properties.${k}`);
    }
  }
  if (p.isArchived !== undefined && typeof p.isArchived !== 'boolean')
    throw badRequest("'isArchived' must be a boolean.", 'properties.isArchived');
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (isRecord(v)) {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined && v[k] !== null)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function immutablePart(p: Record<string, unknown>, kind: AssetKind): string {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) {
    if (!mutableVersionKeys.includes(k) && !(kind.readOnly ?? []).includes(k)) out[k] = v;
  }
  return stableJson(out);
}

function versionsOf(ctx: EmulatorContext, kind: AssetKind, name: string): StoredResource[] {
  return listChildren(ctx, containerId(ctx, kind, name), 'versions');
}

/**
 * Versions of any container whose content hash is `hash` (the spec's CodeVersions_List `hash`:
 * "return CodeVersion assets with specified content hash value, regardless of name"), and, when
 * `hashVersion` is given, whose hash algorithm version equals it.
 */
function versionsWithHash(
  call: ArmCall,
  kind: AssetKind,
  keys: NonNullable<AssetKind['contentHash']>,
  hash: string,
): StoredResource[] {
  const hashVersion = call.req.query.get('hashVersion');
  return listChildren(call.ctx, call.ctx.workspaceId, kind.collection)
    .flatMap((container) => versionsOf(call.ctx, kind, String(container.body.name)))
    .filter((version) => {
      const props = isRecord(version.body.properties) ? version.body.properties.properties : undefined;
      if (!isRecord(props) || props[keys.hash] !== hash) return false;
      return hashVersion === null || String(props[keys.hashVersion]) === hashVersion;
    });
}

/** The container as returned: stored properties plus latestVersion / nextVersion. */
function containerView(ctx: EmulatorContext, kind: AssetKind, r: StoredResource): Record<string, unknown> {
  const v = view(r);
  const name = String(r.body.name);
  const versions = versionsOf(ctx, kind, name);
  const latest = versions.at(-1);
  const numeric = versions
    .map((x) => String(x.body.name))
    .filter((x) => /^\d+$/.test(x))
    .map(Number);
  const next = numeric.length > 0 ? Math.max(...numeric) + 1 : 1;
  v.properties = {
    ...(r.body.properties as Record<string, unknown>),
    latestVersion: latest ? String(latest.body.name) : null,
    nextVersion: String(next),
  };
  return v;
}

function ensureContainer(call: ArmCall, kind: AssetKind, name: string, fromVersion: Record<string, unknown>): void {
  const { ctx } = call;
  const id = containerId(ctx, kind, name);
  if (getResource(ctx, id)) return;
  putResource(
    ctx,
    id,
    {
      id,
      name,
      type: `${ML}/workspaces/${kind.collection}`,
      properties: {
        description: null,
        tags: {},
        properties: {},
        isArchived: false,
        ...(kind.containerFromVersion?.(fromVersion) ?? {}),
      },
    },
    call.principalName,
  );
}

function listFiltered(call: ArmCall, items: Record<string, unknown>[]): Record<string, unknown>[] {
  const q = call.req.query;
  const view = (q.get('listViewType') ?? 'ActiveOnly').toLowerCase();
  let out = items.filter((i) => {
    const archived = isRecord(i.properties) && i.properties.isArchived === true;
    return view === 'all' ? true : view === 'archivedonly' ? archived : !archived;
  });
  const tags = q.get('tags');
  if (tags) {
    for (const t of tags.split(',')) {
      const [k, v] = t.split('=');
      out = out.filter((i) => {
        const tg = isRecord(i.properties) && isRecord(i.properties.tags) ? i.properties.tags : {};
        return k !== undefined && k in tg && (v === undefined || tg[k] === v);
      });
    }
  }
  const version = q.get('version');
  if (version) out = out.filter((i) => i.name === version);
  const order = (q.get('$orderBy') ?? 'createdtime desc').toLowerCase();
  if (order.includes('desc')) out = out.reverse();
  return out;
}

export function assetRoutes(kind: AssetKind): ArmRoute[] {
  const base = `${WS}/${kind.collection}`;
  const act = `${ML}/workspaces/${kind.collection}`;
  const C = `${kind.opName}Containers`;
  const V = `${kind.opName}Versions`;
  return [
    {
      method: 'GET',
      path: base,
      action: `${act}/read`,
      operationId: `${C}_List`,
      handler: (call) => {
        requireWorkspace(call);
        const items = listChildren(call.ctx, call.ctx.workspaceId, kind.collection).map((r) =>
          containerView(call.ctx, kind, r),
        );
        return json(200, page(listFiltered(call, items), call.req.query, call.url));
      },
    },
    {
      method: 'GET',
      path: `${base}/{name}`,
      action: `${act}/read`,
      operationId: `${C}_Get`,
      handler: (call) => {
        requireWorkspace(call);
        const r = getResource(call.ctx, containerId(call.ctx, kind, call.params.name ?? ''));
        if (!r) throw mlNotFound(`Container ${kind.noun}`, call.params.name ?? '');
        return json(200, containerView(call.ctx, kind, r));
      },
    },
    {
      method: 'PUT',
      path: `${base}/{name}`,
      action: `${act}/write`,
      operationId: `${C}_CreateOrUpdate`,
      handler: (call) => {
        requireWorkspace(call);
        const name = call.params.name ?? '';
        if (!NAME.test(name))
          throw badRequest(
            `Invalid ${kind.noun} name '${name}': it must start with a letter or digit and contain only letters, digits, '-' and '_' (at most 255 characters).`,
            'name',
          );
        const p = resourceBody(call);
        checkCommon(p);
        const id = containerId(call.ctx, kind, name);
        const existing = getResource(call.ctx, id);
        const props: Record<string, unknown> = {
          description: p.description ?? null,
          tags: p.tags ?? {},
          properties: p.properties ?? {},
          isArchived: p.isArchived ?? false,
        };
        for (const [k, v] of Object.entries(p))
          if (!(k in props) && k !== 'latestVersion' && k !== 'nextVersion') props[k] = v;
        if (existing) {
          const old = existing.body.properties as Record<string, unknown>;
          for (const k of Object.keys(props)) {
            if (
              !['description', 'tags', 'properties', 'isArchived'].includes(k) &&
              stableJson(old[k]) !== stableJson(props[k])
            ) {
              throw new ArmError(
                409,
                'UserError',
                `The ${kind.noun} container '${name}' already exists and its '${k}' cannot be changed.`,
              );
            }
          }
        }
        const r = putResource(
          call.ctx,
          id,
          { id, name: existing ? existing.body.name : name, type: `${act}`, properties: props },
          call.principalName,
        );
        return json(existing ? 200 : 201, containerView(call.ctx, kind, r));
      },
    },
    {
      method: 'DELETE',
      path: `${base}/{name}`,
      action: `${act}/delete`,
      operationId: `${C}_Delete`,
      handler: (call) => {
        requireWorkspace(call);
        const deleted = deleteResource(call.ctx, containerId(call.ctx, kind, call.params.name ?? ''));
        return { status: deleted ? 200 : 204 };
      },
    },
    {
      method: 'GET',
      path: `${base}/{name}/versions`,
      action: `${act}/versions/read`,
      operationId: `${V}_List`,
      handler: (call) => {
        requireWorkspace(call);
        const name = call.params.name ?? '';
        const hash = call.req.query.get('hash');
        const items = (
          kind.contentHash && hash
            ? versionsWithHash(call, kind, kind.contentHash, hash)
            : versionsOf(call.ctx, kind, name)
        ).map(view);
        return json(200, page(listFiltered(call, items), call.req.query, call.url));
      },
    },
    {
      method: 'GET',
      path: `${base}/{name}/versions/{version}`,
      action: `${act}/versions/read`,
      operationId: `${V}_Get`,
      handler: (call) => {
        requireWorkspace(call);
        const { name = '', version = '' } = call.params;
        const r = getResource(call.ctx, `${containerId(call.ctx, kind, name)}/versions/${version}`);
        if (!r)
          throw mlNotFound(
            `${kind.noun[0]?.toUpperCase()}${kind.noun.slice(1)} ${name}:${version}`,
            `${name}:${version}`,
          );
        return json(200, view(r));
      },
    },
    {
      method: 'PUT',
      path: `${base}/{name}/versions/{version}`,
      action: `${act}/versions/write`,
      operationId: `${V}_CreateOrUpdate`,
      handler: (call) => {
        requireWorkspace(call);
        const { name = '', version = '' } = call.params;
        if (!NAME.test(name))
          throw badRequest(
            `Invalid ${kind.noun} name '${name}': it must start with a letter or digit and contain only letters, digits, '-' and '_' (at most 255 characters).`,
            'name',
          );
        const raw = resourceBody(call);
        // azure-ai-ml registers anonymous assets (isAnonymous) with a hash of their content as the
        // version: a GUID for components (36 characters); for environments (CliV2AnonymousEnvironment)
        // 32 hex digits (MD5, azure-ai-ml 1.4) or 64 (SHA-256, azure-ai-ml 1.35:
        // entities/_assets/environment.py _generate_anonymous_name_version). Azure takes those beyond
        // the 30-character rule.
        const anonymousHash =
          raw.isAnonymous === true && (GUID.test(version) || /^(?:[0-9a-f]{32}|[0-9a-f]{64})$/i.test(version));
        if (!VERSION.test(version) && !anonymousHash)
          throw badRequest(
            `Invalid version '${version}': it must start with a letter or digit and contain only letters, digits, '-', '_' and '.' (at most 30 characters).`,
            'version',
          );
        checkCommon(raw);
        const p: Record<string, unknown> = { ...(kind.defaults?.(raw) ?? {}), ...raw };
        for (const k of kind.readOnly ?? []) delete p[k];
        const problems = kind.validate(p, call);
        if (problems.length > 0) throw badRequest(problems.join(' '));
        const props: Record<string, unknown> = {
          description: null,
          tags: {},
          properties: {},
          isArchived: false,
          isAnonymous: false,
          ...p,
        };
        const id = `${containerId(call.ctx, kind, name)}/versions/${version}`;
        const existing = getResource(call.ctx, id);
        if (existing) {
          const old = existing.body.properties as Record<string, unknown>;
          if (immutablePart(old, kind) !== immutablePart(props, kind)) {
            const message = `A ${kind.noun} with this name and version already exists (${name}:${version}). If you are trying to create a new ${kind.noun}, use a different name or version. If you are trying to update an existing ${kind.noun}, its data cannot be changed: only description, tags, properties and isArchived can be updated.`;
            throw new ArmError(409, 'UserError', message, [{ code: 'Conflict', message }]);
          }
          for (const k of kind.readOnly ?? []) if (old[k] !== undefined) props[k] = old[k];
        } else ensureContainer(call, kind, name, props);
        const stored = putResource(
          call.ctx,
          id,
          { id, name: existing ? existing.body.name : version, type: `${act}/versions`, properties: props },
          call.principalName,
        );
        return json(existing ? 200 : 201, view(stored));
      },
    },
    {
      method: 'DELETE',
      path: `${base}/{name}/versions/{version}`,
      action: `${act}/versions/delete`,
      operationId: `${V}_Delete`,
      handler: (call) => {
        requireWorkspace(call);
        const { name = '', version = '' } = call.params;
        const deleted = deleteResource(call.ctx, `${containerId(call.ctx, kind, name)}/versions/${version}`);
        return { status: deleted ? 200 : 204 };
      },
    },
  ];
}

/** `azureml://`, `https://`, `wasbs://`... URIs an asset may point at. */
export function isAssetUri(v: unknown): boolean {
  return typeof v === 'string' && /^(azureml|https?|wasbs?|abfss?|adl|gs|s3):\/\/\S+$/i.test(v);
}
