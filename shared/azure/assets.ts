// Registering immutable asset versions (models, data, environments, components, code) as DESIGN.md
// settles it: `auto` reads the next version and PUTs; on 409 someone else took that number, so we
// re-check whether they registered the same content (then reuse it) and otherwise try the next one.

import { UserError } from '../errors.js';
import type { Logger } from '../logger.js';
import { explainArmError, isConflict, isNotFound } from './armError.js';
import type { MlClient } from './client.js';
import type { AzureSettings } from './settings.js';

/** The property (immutable on a version) that records the content hash of what it points at. */
export const CONTENT_HASH_PROPERTY = 'azureml-actions.content-hash';

export type AssetCollection = 'models' | 'data' | 'environments' | 'components' | 'codes';

/** A version as far as registration cares. */
export interface VersionSummary {
  version: string;
  contentHash: string | undefined;
  /** Where the version's files are (`modelUri`, `dataUri` or `codeUri`), when it has any. */
  uri?: string | undefined;
}

/** One asset name's versions in the workspace, behind the SDK's per-collection clients. */
export interface VersionStore {
  collection: AssetCollection;
  name: string;
  /** latestVersion and nextVersion of the container; undefined when the name is new. */
  container(): Promise<{ latestVersion: string | undefined; nextVersion: string | undefined } | undefined>;
  list(): Promise<VersionSummary[]>;
  get(version: string): Promise<VersionSummary | undefined>;
  /** PUTs the version; rejects with ARM's 409 when it exists with other content. */
  put(version: string, properties: Record<string, unknown>): Promise<void>;
}

export interface RegistrationResult {
  version: string;
  reused: boolean;
  /** Latest version before this step; undefined for a new name. */
  previousVersion: string | undefined;
}

const MAX_ATTEMPTS = 50;

/**
 * Registers `properties` as a version of the store's name, or reuses one with the same content.
 * `properties` must already carry CONTENT_HASH_PROPERTY in its `properties`.
 */
export async function registerVersion(options: {
  store: VersionStore;
  version: string;
  contentHash: string;
  dedupe: boolean;
  properties: Record<string, unknown>;
  log: Logger;
}): Promise<RegistrationResult> {
  const { store, contentHash, dedupe, properties, log } = options;
  const what = `${store.collection}/${store.name}`;
  const container = await store.container().catch((error: unknown) => {
    throw explainArmError(error, `reading ${what}`);
  });
  const previousVersion = container?.latestVersion;
  // Always list afresh: a concurrent run may have created the name since `container` was read.
  const findSame = async () => (await store.list()).find((v) => v.contentHash === contentHash);

  if (options.version !== 'auto') {
    const existing = await store.get(options.version);
    if (existing) {
      if (existing.contentHash === contentHash) return { version: existing.version, reused: true, previousVersion };
      throw new UserError(
        `${what} version ${options.version} already exists with different content` +
          `${existing.contentHash ? ` (content hash ${existing.contentHash.slice(0, 12)}, this step's is ${contentHash.slice(0, 12)})` : ''}. ` +
          "Versions are immutable: use 'version: auto' or a new version.",
        { input: 'version' },
      );
    }
    await put(store, options.version, properties, what);
    return { version: options.version, reused: false, previousVersion };
  }

  if (dedupe) {
    const same = await findSame();
    if (same) return { version: same.version, reused: true, previousVersion };
  }
  let candidate = container?.nextVersion ?? nextInteger(previousVersion);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const existing = await store.get(candidate);
    if (existing === undefined) {
      try {
        await store.put(candidate, properties);
        return { version: candidate, reused: false, previousVersion };
      } catch (error) {
        if (!isConflict(error)) throw explainArmError(error, `registering ${what} version ${candidate}`);
        log.debug(`${what} version ${candidate} was taken by another run; trying the next one.`);
      }
    } else if (dedupe && existing.contentHash === contentHash) {
      // A concurrent run registered the same content under this number.
      return { version: candidate, reused: true, previousVersion };
    }
    if (dedupe) {
      const same = await findSame();
      if (same) return { version: same.version, reused: true, previousVersion };
    }
    candidate = nextInteger(candidate);
  }
  throw new UserError(
    `Could not find a free version of ${what} after ${MAX_ATTEMPTS} attempts: too many concurrent registrations.`,
  );
}

async function put(store: VersionStore, version: string, properties: Record<string, unknown>, what: string) {
  try {
    await store.put(version, properties);
  } catch (error) {
    throw explainArmError(error, `registering ${what} version ${version}`);
  }
}

function nextInteger(version: string | undefined): string {
  const n = Number(version);
  return Number.isSafeInteger(n) && n >= 0 ? String(n + 1) : '1';
}

function hashOf(properties: { properties?: Record<string, string | null> } | undefined): string | undefined {
  return properties?.properties?.[CONTENT_HASH_PROPERTY] ?? undefined;
}

function uriOf(properties: { modelUri?: string | null; dataUri?: string | null; codeUri?: string | null }) {
  return properties.modelUri ?? properties.dataUri ?? properties.codeUri ?? undefined;
}

/** The VersionStore of an asset name, over the ARM client. */
export function versionStore(
  client: MlClient,
  settings: AzureSettings,
  collection: AssetCollection,
  name: string,
): VersionStore {
  const { resourceGroup: rg, workspace: ws } = settings;
  const api = {
    models: { containers: client.modelContainers, versions: client.modelVersions },
    data: { containers: client.dataContainers, versions: client.dataVersions },
    environments: { containers: client.environmentContainers, versions: client.environmentVersions },
    codes: { containers: client.codeContainers, versions: client.codeVersions },
    components: { containers: client.componentContainers, versions: client.componentVersions },
  }[collection];
  return {
    collection,
    name,
    async container() {
      try {
        const c = await api.containers.get(rg, ws, name);
        const p = c.properties as { latestVersion?: string; nextVersion?: string };
        return { latestVersion: p.latestVersion ?? undefined, nextVersion: p.nextVersion ?? undefined };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async list() {
      const versions: VersionSummary[] = [];
      try {
        for await (const v of api.versions.list(rg, ws, name)) {
          versions.push({
            version: v.name ?? '',
            contentHash: hashOf(v.properties as { properties?: Record<string, string> }),
            uri: uriOf(v.properties as { modelUri?: string; dataUri?: string; codeUri?: string }),
          });
        }
      } catch (error) {
        if (!isNotFound(error)) throw explainArmError(error, `listing ${collection}/${name}`);
      }
      return versions;
    },
    async get(version) {
      try {
        const v = await api.versions.get(rg, ws, name, version);
        return { version, contentHash: hashOf(v.properties as { properties?: Record<string, string> }) };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw explainArmError(error, `reading ${collection}/${name} version ${version}`);
      }
    },
    async put(version, properties) {
      // The SDK's per-collection body types differ only in `properties`; each is checked by ARM.
      await (
        api.versions as {
          createOrUpdate(rg: string, ws: string, n: string, v: string, body: unknown): Promise<unknown>;
        }
      ).createOrUpdate(rg, ws, name, version, { properties });
    },
  };
}
