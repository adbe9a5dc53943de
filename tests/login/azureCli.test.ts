// `auth-type: azure-cli` with Debian's real Azure CLI (`az`, azure-cli 2.45) logged in to the emulator
// as a custom cloud, the way azure/login leaves a runner: `az cloud register`, then `az login
// --service-principal --federated-token <GitHub ID token>`. The built action-register then gets its
// token from `az account get-access-token`. az validates authority hosts through
// login.microsoftonline.com, so it reaches the emulator's Entra through the Entra proxy (`proxyUrl`,
// emulator/README.md "Azure CLI"). Skipped, saying why, where `az` is not installed.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { RunningEmulator } from '../../emulator/index.js';
import { admin, start } from '../emulator/helpers.js';
import { runAction } from '../harness/runAction.js';

const run = promisify(execFile);

function skipReason(): string | null {
  const probe = spawnSync('az', ['version', '--output', 'none'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.status === 0) return null;
  const why = probe.error?.message ?? (probe.stderr.trim().split('\n').pop() || `exit status ${String(probe.status)}`);
  const reason = `the Azure CLI cannot run (${why}); install Debian's azure-cli to run the az login tests`;
  process.stdout.write(`azure-cli tests skipped: ${reason}\n`);
  return reason;
}

const suite = skipReason() ? describe.skip : describe;

let emu: RunningEmulator;
let configDir: string;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'azcli-ws-'));

/** What az needs to reach the emulator, in an isolated config folder (never the user's ~/.azure). */
function azEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? workspace,
    AZURE_CONFIG_DIR: configDir,
    AZURE_CORE_COLLECT_TELEMETRY: 'false',
    AZURE_CORE_NO_COLOR: 'true',
    REQUESTS_CA_BUNDLE: emu.caFile,
    HTTPS_PROXY: emu.proxyUrl,
    NO_PROXY: '127.0.0.1,localhost',
  };
}

async function az(...args: string[]): Promise<string> {
  const { stdout } = await run('az', [...args, '--only-show-errors'], { env: azEnv(), timeout: 120_000 });
  return stdout;
}

suite('auth-type azure-cli with the real Azure CLI', () => {
  beforeAll(async () => {
    emu = await start({ azurite: true });
    configDir = mkdtempSync(path.join(os.tmpdir(), 'azure-config-'));
    writeFileSync(path.join(workspace, 'scores.csv'), 'id,score\n1,0.5\n2,0.75\n');
  }, 60_000);
  afterAll(async () => {
    await emu?.stop();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  it('az logs in to the emulator as a custom cloud with a GitHub ID token', async () => {
    await az(
      'cloud',
      'register',
      '--name',
      'AzureMLEmulator',
      '--endpoint-resource-manager',
      `${emu.armUrl}/`,
      // az (MSAL) only accepts authority hosts Entra knows: the real one, answered through the proxy.
      '--endpoint-active-directory',
      'https://login.microsoftonline.com',
      '--endpoint-active-directory-resource-id',
      'https://management.core.windows.net/',
      '--endpoint-active-directory-graph-resource-id',
      'https://graph.windows.net/',
      '--suffix-storage-endpoint',
      'core.windows.net',
    );
    await az('cloud', 'set', '--name', 'AzureMLEmulator');
    const answer = await fetch(`${emu.oidcRequestUrl}&audience=${encodeURIComponent(emu.audience)}`, {
      headers: { authorization: `Bearer ${emu.oidcRequestToken}` },
    });
    const idToken = ((await answer.json()) as { value: string }).value;
    const accounts = JSON.parse(
      await az(
        'login',
        '--service-principal',
        '--username',
        emu.clientId,
        '--tenant',
        emu.tenantId,
        '--federated-token',
        idToken,
        '--output',
        'json',
      ),
    ) as Array<{ id: string; tenantId: string; cloudName: string; user: { name: string; type: string } }>;
    expect(accounts).toEqual([
      expect.objectContaining({
        id: emu.subscriptionId,
        tenantId: emu.tenantId,
        cloudName: 'AzureMLEmulator',
        user: { name: emu.clientId, type: 'servicePrincipal' },
      }),
    ]);
  });

  it('action-register gets its token from az account get-access-token', async () => {
    await admin(emu, 'DELETE', '/requests');
    const env: Record<string, string | undefined> = {
      ...emu.env,
      ...azEnv(),
      // No GitHub ID token in this job: only the Azure CLI's login is there to use.
      ACTIONS_ID_TOKEN_REQUEST_URL: undefined,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: undefined,
    };
    const result = await runAction({
      action: 'action-register',
      inputs: { 'auth-type': 'azure-cli', kind: 'data', name: 'scores', path: 'scores.csv' },
      env,
      workspace,
    });
    const error = result.annotations.find((a) => a.level === 'error')?.message;
    expect(error ?? `(no error; exit ${result.exitCode})`).toBe('(no error; exit 0)');
    expect(result.outputs).toMatchObject({ name: 'scores', version: '1', reused: 'false' });

    // Every ARM call came from the principal az logged in as; no GitHub ID token was asked for.
    const logged = (
      (await admin(emu, 'GET', '/requests')).body as {
        value: Array<{ service: string; method: string; path: string; principal?: string }>;
      }
    ).value;
    const arm = logged.filter((r) => r.service === 'arm');
    expect(arm.length).toBeGreaterThan(0);
    expect(arm.every((r) => r.principal === emu.clientId)).toBe(true);
    expect(logged.filter((r) => r.service === 'oidc')).toEqual([]);
    expect(
      logged.some((r) => r.service === 'arm' && r.method === 'PUT' && r.path.endsWith('/data/scores/versions/1')),
    ).toBe(true);
  });
});
