// --state-dir keeps resources, principals and role assignments across restarts; --config adds
// principals and settings.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { mlClient, oidcCredential, secretCredential, start } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'emulator-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('state and config', () => {
  it('keeps resources and principals across a restart with the same state dir', async () => {
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        workspace: 'ws-config',
        principals: [
          {
            clientId: '0c0c0c0c-1111-4222-8333-444455556666',
            secret: 'from-config',
            roles: ['AzureML Data Scientist'],
          },
        ],
      }),
    );
    const stateDir = join(dir, 'state');
    const first = await start({ stateDir, config });
    expect(first.workspace).toBe('ws-config');
    expect(readFileSync(first.envFile, 'utf8')).toContain('AZUREML_WORKSPACE=ws-config');
    const ds = mlClient(first, secretCredential(first, '0c0c0c0c-1111-4222-8333-444455556666', 'from-config'));
    await ds.modelVersions.createOrUpdate(first.resourceGroup, first.workspace, 'kept', '1', {
      properties: { modelUri: 'azureml://datastores/workspaceblobstore/paths/kept/model.onnx' },
    });
    await first.stop();

    const second = await start({ stateDir, config });
    try {
      const client = mlClient(second, await oidcCredential(second));
      const v = await client.modelVersions.get(second.resourceGroup, second.workspace, 'kept', '1');
      expect(v.properties.modelUri).toContain('kept/model.onnx');
      const ds2 = mlClient(second, secretCredential(second, '0c0c0c0c-1111-4222-8333-444455556666', 'from-config'));
      await expect(ds2.workspaces.get(second.resourceGroup, second.workspace)).resolves.toBeDefined();
      const principals = (
        (await (await fetch(`${second.adminUrl}/principals`)).json()) as {
          value: { secrets: number; roleAssignments: unknown[] }[];
        }
      ).value;
      // The two seeded apps (main and pull-request) and the config's principal, each once.
      expect(principals).toHaveLength(3);
      // The config's principal is added again at start-up: no duplicate secrets or assignments.
      expect(principals.map((p) => [p.secrets, p.roleAssignments.length])).toEqual([
        [0, 1],
        [0, 1],
        [1, 1],
      ]);
    } finally {
      await second.stop();
    }
  });
});
