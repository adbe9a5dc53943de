// `npm run emulator`: contract line first on stdout, env file, Azurite, clean stop on SIGTERM, and a
// second instance alongside.
import { spawn } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, expect, it } from '@jest/globals';
import { start } from './helpers.js';

const envKeys = [
  'ACTIONS_ID_TOKEN_REQUEST_URL',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'NODE_EXTRA_CA_CERTS',
  'AZURE_CLIENT_ID',
  'AZURE_TENANT_ID',
  'AZURE_SUBSCRIPTION_ID',
  'AZURE_RESOURCE_GROUP',
  'AZUREML_WORKSPACE',
  'AZURE_CLOUD',
  'AZURE_ARM_ENDPOINT',
  'AZURE_AUTHORITY_HOST',
  'AZURE_STORAGE_URL_TEMPLATE',
];

describe('npm run emulator', () => {
  it('prints the contract, serves Azurite, runs beside a second instance and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'emulator/cli.ts', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const started = Date.now();
    const firstLine = await new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: child.stdout });
      rl.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`emulator exited ${String(code)}: ${stderr}`)));
    });
    const elapsed = Date.now() - started;
    const contract = JSON.parse(firstLine) as Record<string, string>;
    try {
      for (const k of [
        'armUrl',
        'authorityHost',
        'tenantId',
        'subscriptionId',
        'resourceGroup',
        'workspace',
        'clientId',
        'kubernetesCompute',
        'oidcRequestUrl',
        'oidcRequestToken',
        'caFile',
        'blobUrl',
        'storageUrl',
        'adminUrl',
        'envFile',
      ]) {
        expect(contract[k]).toEqual(expect.any(String));
        expect(contract[k]).not.toBe('');
      }
      expect(contract.armUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(contract.oidcRequestUrl).toContain('?');
      const env = Object.fromEntries(
        readFileSync(contract.envFile as string, 'utf8')
          .trim()
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      for (const k of envKeys) expect(env[k]).toBeTruthy();
      expect(env.AZURE_CLOUD).toBe('custom');
      // The actions reach blobs through the storage front (HTTPS, like Azure), Azurite behind it.
      expect(env.AZURE_STORAGE_URL_TEMPLATE).toBe(`${contract.storageUrl}/{account}`);
      expect(contract.storageUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const blob = await fetch(`${contract.blobUrl}/devstoreaccount1?comp=list`);
      expect([200, 403]).toContain(blob.status);
      const front = await fetch(`${contract.storageUrl}/devstoreaccount1?comp=list`);
      expect([200, 403]).toContain(front.status);
      // A second instance on another port at the same time.
      const second = await start();
      try {
        expect(second.armUrl).not.toBe(contract.armUrl);
        const r = await fetch(`${second.oidcIssuer}/.well-known/openid-configuration`);
        expect(r.status).toBe(200);
        const r1 = await fetch(`${contract.armUrl}/oidc/.well-known/openid-configuration`);
        expect(r1.status).toBe(200);
      } finally {
        await second.stop();
      }
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
    expect(existsSync(contract.envFile as string)).toBe(false);
    await expect(fetch(`${contract.blobUrl}/devstoreaccount1?comp=list`)).rejects.toThrow();
    // The contract asks for 5 s; allow more on a loaded CI machine but report it.
    if (elapsed > 5000) process.stderr.write(`emulator start took ${elapsed} ms\n`);
    expect(elapsed).toBeLessThan(30000);
  });
});
