// Version allocation under races (DESIGN.md "Asset versions are immutable"), with a store that
// replays the interleavings concurrent runs produce. The e2e tests race real processes; these pin
// the orderings down so a regression fails every time, not one run in three.

import { describe, expect, it } from '@jest/globals';
import { RestError } from '@azure/core-rest-pipeline';
import { registerVersion, type VersionStore, type VersionSummary } from '../../shared/azure/assets.js';
import { MemoryLogger } from '../../shared/logger.js';

const conflict = () => new RestError('A model with this name and version already exists', { statusCode: 409 });

/** A store whose versions another "run" fills in at chosen moments. */
function racingStore(script: {
  onPut?: (version: string, versions: Map<string, VersionSummary>) => void;
  initial?: VersionSummary[];
}) {
  const versions = new Map<string, VersionSummary>((script.initial ?? []).map((v) => [v.version, v]));
  let containerRead = false;
  const store: VersionStore = {
    collection: 'models',
    name: 'twin',
    async container() {
      containerRead = true;
      if (versions.size === 0) return undefined;
      const numbers = [...versions.keys()].map(Number);
      return { latestVersion: String(Math.max(...numbers)), nextVersion: String(Math.max(...numbers) + 1) };
    },
    async list() {
      return [...versions.values()];
    },
    async get(version) {
      return versions.get(version);
    },
    async put(version, properties) {
      script.onPut?.(version, versions);
      if (versions.has(version)) throw conflict();
      versions.set(version, {
        version,
        contentHash: String((properties.properties as Record<string, string>)['azureml-actions.content-hash']),
      });
    },
  };
  return { store, versions, containerWasRead: () => containerRead };
}

const props = (hash: string) => ({
  modelUri: `azureml://x/${hash}`,
  properties: { 'azureml-actions.content-hash': hash },
});

describe('registerVersion', () => {
  it('a new name, then a 409 because another run registered the same content: reuses that version', async () => {
    // The other run wins version 1 between our get and our put (its modelUri differs: other folder name).
    const { store, versions } = racingStore({
      onPut: (version, all) => {
        if (version === '1' && !all.has('1')) all.set('1', { version: '1', contentHash: 'same' });
      },
    });
    const result = await registerVersion({
      store,
      version: 'auto',
      contentHash: 'same',
      dedupe: true,
      properties: props('same'),
      log: new MemoryLogger(),
    });
    expect(result).toEqual({ version: '1', reused: true, previousVersion: undefined });
    expect([...versions.keys()]).toEqual(['1']);
  });

  it('a 409 because another run registered other content: takes the next number', async () => {
    const { store, versions } = racingStore({
      onPut: (version, all) => {
        if (version === '1' && !all.has('1')) all.set('1', { version: '1', contentHash: 'theirs' });
      },
    });
    const result = await registerVersion({
      store,
      version: 'auto',
      contentHash: 'ours',
      dedupe: true,
      properties: props('ours'),
      log: new MemoryLogger(),
    });
    expect(result).toMatchObject({ version: '2', reused: false });
    expect(versions.get('2')?.contentHash).toBe('ours');
  });

  it('finds existing content before allocating, and refuses an explicit version with other content', async () => {
    const existing = [
      { version: '1', contentHash: 'a' },
      { version: '2', contentHash: 'b' },
    ];
    const { store } = racingStore({ initial: existing });
    await expect(
      registerVersion({
        store,
        version: 'auto',
        contentHash: 'a',
        dedupe: true,
        properties: props('a'),
        log: new MemoryLogger(),
      }),
    ).resolves.toEqual({ version: '1', reused: true, previousVersion: '2' });
    await expect(
      registerVersion({
        store,
        version: '2',
        contentHash: 'a',
        dedupe: true,
        properties: props('a'),
        log: new MemoryLogger(),
      }),
    ).rejects.toThrow(/version 2 already exists with different content/);
    await expect(
      registerVersion({
        store,
        version: 'auto',
        contentHash: 'c',
        dedupe: true,
        properties: props('c'),
        log: new MemoryLogger(),
      }),
    ).resolves.toEqual({ version: '3', reused: false, previousVersion: '2' });
  });

  it('with dedupe off, the same content still gets a new version', async () => {
    const { store } = racingStore({ initial: [{ version: '1', contentHash: 'a' }] });
    await expect(
      registerVersion({
        store,
        version: 'auto',
        contentHash: 'a',
        dedupe: false,
        properties: props('a'),
        log: new MemoryLogger(),
      }),
    ).resolves.toMatchObject({ version: '2', reused: false });
  });
});
