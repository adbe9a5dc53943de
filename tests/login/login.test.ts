// Login and pre-flight against the emulator with the real @azure/identity, @actions/core's
// getIDToken and @azure/arm-machinelearning: each auth type works, and each way it fails is
// explained with what to change. Every secret the run saw is checked against what was logged.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import * as core from '@actions/core';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../../emulator/index.js';
import { createMlClient } from '../../shared/azure/client.js';
import { createLoginSession, checkLogin, type LoginSession } from '../../shared/azure/login.js';
import { actionPatternMatches, isAllowed, preflight, type RequiredAction } from '../../shared/azure/preflight.js';
import { readCommonInputs, type AzureSettings } from '../../shared/azure/settings.js';
import { UserError } from '../../shared/errors.js';
import { InputReader } from '../../shared/inputs/reader.js';
import { inputsFromRecord } from '../../shared/inputs/source.js';
import { MemoryLogger } from '../../shared/logger.js';
import { admin, start } from '../emulator/helpers.js';

let emu: RunningEmulator;
let log: MemoryLogger;
const MODEL_WRITE: RequiredAction = {
  action: 'Microsoft.MachineLearningServices/workspaces/models/versions/write',
  purpose: 'register the model version',
};
const COMPUTE_WRITE: RequiredAction = {
  action: 'Microsoft.MachineLearningServices/workspaces/computes/write',
  purpose: 'create the compute cluster',
};

beforeAll(async () => {
  emu = await start();
});
afterAll(async () => {
  await emu?.stop();
});
beforeEach(async () => {
  log = new MemoryLogger();
  await admin(emu, 'DELETE', '/oidc/claims');
});

function settings(inputs: Record<string, string> = {}, env: Record<string, string | undefined> = {}): AzureSettings {
  const merged = Object.fromEntries(
    Object.entries({ ...emu.env, ...env }).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return readCommonInputs(new InputReader(inputsFromRecord(inputs, merged))).azure;
}

function session(azure: AzureSettings, canRequestIdToken = true): LoginSession {
  return createLoginSession(azure, { log, requestIdToken: (audience) => core.getIDToken(audience), canRequestIdToken });
}

async function loginError(work: () => Promise<unknown>): Promise<UserError> {
  try {
    await work();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error('expected the login to fail');
}

async function addPrincipal(body: Record<string, unknown>): Promise<string> {
  const response = await admin(emu, 'POST', '/principals', body);
  expect(response.status).toBeLessThan(300);
  return (response.body as { clientId: string }).clientId;
}

/** Every secret this test saw must appear nowhere but in the mask list. */
function expectNoSecretLeaked(extra: string[] = [], ...texts: string[]) {
  const haystack = [...log.lines, ...texts].join('\n');
  for (const secret of [...log.secrets, ...extra]) expect(haystack).not.toContain(secret);
}

describe('OIDC', () => {
  it('logs in with a fresh GitHub ID token and passes the pre-flight', async () => {
    const s = session(settings());
    const client = createMlClient(s.settings, s.credential);
    const workspace = await preflight({ session: s, client, log, required: [MODEL_WRITE] });
    expect(workspace.name).toBe(emu.workspace);
    expect(log.lines.join('\n')).toContain(`with oidc as repo:octo-org/octo-repo:ref:refs/heads/main`);
    // Both the GitHub ID token and the ARM access token were masked the moment they existed.
    expect(log.secrets.length).toBeGreaterThanOrEqual(2);
    expectNoSecretLeaked();
  });

  /** The GitHub ID-token requests in the emulator's log since it was last cleared. */
  async function idTokenRequests(): Promise<number> {
    const requests = ((await admin(emu, 'GET', '/requests')).body as { value: Array<{ path: string }> }).value;
    return requests.filter((r) => r.path.includes('/oidc/idtoken')).length;
  }

  it('asks GitHub for a new ID token whenever the last one is short of minutes of validity', async () => {
    // 90 s tokens are never presented twice: a long job can never hand Entra an expired assertion.
    await admin(emu, 'POST', '/oidc/claims', { lifetime: 90 });
    const s = session(settings());
    await admin(emu, 'DELETE', '/requests');
    await s.credential.getToken('https://management.azure.com/.default');
    await s.credential.getToken('https://ml.azure.com/.default');
    // MSAL asks for an assertion twice per access token; each time it got a new ID token.
    expect(await idTokenRequests()).toBe(4);
  });

  it('presents one fresh ID token for the assertions of the next minute (one GitHub round trip per login)', async () => {
    const s = session(settings());
    await admin(emu, 'DELETE', '/requests');
    await s.credential.getToken('https://management.azure.com/.default');
    await s.credential.getToken('https://ml.azure.com/.default');
    expect(await idTokenRequests()).toBe(1);
  });

  it.each([
    [
      'a branch without a federated credential',
      { sub: 'repo:octo-org/octo-repo:ref:refs/heads/feature-x' },
      /no federated credential .* matches this workflow\. This run presented subject 'repo:octo-org\/octo-repo:ref:refs\/heads\/feature-x'/,
    ],
    [
      'another repository',
      { sub: 'repo:evil-org/octo-repo:ref:refs/heads/main' },
      /presented subject 'repo:evil-org\/octo-repo:ref:refs\/heads\/main'.*Subject formats: repo:OWNER\/REPO:ref:refs\/heads\/BRANCH/,
    ],
    ['a case difference', { sub: 'repo:Octo-Org/octo-repo:ref:refs/heads/main' }, /exactly that \(case-sensitive\)/],
    [
      'an unknown environment',
      { sub: 'repo:octo-org/octo-repo:environment:staging', environment: 'staging' },
      /environment 'staging'/,
    ],
    ['another issuer', { iss: 'https://token.example.com' }, /trusts the issuer of GitHub's token/],
    ['an expired token', { lifetime: -900 }, /had expired when Entra received it/],
  ])('explains %s', async (_case, claims, message) => {
    await admin(emu, 'POST', '/oidc/claims', claims);
    const s = session(settings());
    const error = await loginError(() => checkLogin(s, log));
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/Entra said: AADSTS\d+/);
    expectNoSecretLeaked([], error.message);
  });

  it('explains a wrong audience', async () => {
    const error = await loginError(() => checkLogin(session(settings({ audience: 'api://SomethingElse' })), log));
    expect(error.message).toMatch(/do not accept the audience 'api:\/\/SomethingElse'/);
    expect(error.message).toContain('AADSTS700212');
  });

  it('explains a tenant that does not exist', async () => {
    const error = await loginError(() =>
      checkLogin(session(settings({ 'tenant-id': '99999999-9999-9999-9999-999999999999' })), log),
    );
    expect(error.message).toMatch(/has no tenant '99999999-9999-9999-9999-999999999999'/);
  });

  it('explains a missing id-token permission before any request', async () => {
    await admin(emu, 'DELETE', '/requests');
    const error = await loginError(async () => session(settings({ 'auth-type': 'oidc' }), false));
    expect(error.message).toMatch(/Add 'permissions: id-token: write'/);
    expect(((await admin(emu, 'GET', '/requests')).body as { value: unknown[] }).value).toEqual([]);
  });
});

describe('client secret', () => {
  it('logs in with a warning that recommends OIDC, and masks the secret', async () => {
    const secret = 'test-secret-value-4242';
    const clientId = await addPrincipal({ secret, roles: ['Contributor'], displayName: 'secret-sp' });
    const s = session(settings({ 'auth-type': 'secret', 'client-id': clientId, 'client-secret': secret }));
    await checkLogin(s, log);
    expect(log.lines.some((line) => line.startsWith('warning: Logging in with a client secret. Prefer OIDC'))).toBe(
      true,
    );
    expectNoSecretLeaked([secret]);
  });

  it('explains an invalid secret without echoing it', async () => {
    const clientId = await addPrincipal({ secret: 'right-secret-1', roles: ['Contributor'] });
    const wrong = 'wrong-secret-2';
    const error = await loginError(() =>
      checkLogin(session(settings({ 'auth-type': 'secret', 'client-id': clientId, 'client-secret': wrong })), log),
    );
    expect(error.message).toMatch(/client secret is not valid/);
    expect(error.message).not.toContain(wrong);
  });
});

describe('azure-cli (reusing an earlier azure/login)', () => {
  it('gets its token from `az account get-access-token`', async () => {
    const secret = 'cli-secret-77';
    const clientId = await addPrincipal({ secret, roles: ['Contributor'] });
    // A stand-in `az` on PATH: it gets a real token from the emulator the way `az login` would have.
    const bin = mkdtempSync(path.join(os.tmpdir(), 'fake-az-'));
    const tokenUrl = `${emu.authorityHost}/${emu.tenantId}/oauth2/v2.0/token`;
    writeFileSync(
      path.join(bin, 'az'),
      `#!/usr/bin/env node
const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: '${clientId}', client_secret: '${secret}', scope: 'https://management.azure.com/.default' });
fetch('${tokenUrl}', { method: 'POST', body }).then((r) => r.json()).then((t) => {
  const expires = Math.floor(Date.now() / 1000) + t.expires_in;
  console.log(JSON.stringify({ accessToken: t.access_token, expiresOn: new Date(expires * 1000).toISOString(), expires_on: expires, tokenType: 'Bearer' }));
});
`,
    );
    chmodSync(path.join(bin, 'az'), 0o755);
    const previousPath = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${previousPath ?? ''}`;
    try {
      const s = session(settings({}, { ACTIONS_ID_TOKEN_REQUEST_URL: undefined, AZURE_CLIENT_ID: undefined }), false);
      expect(s.settings.authType).toBe('azure-cli');
      const workspace = await preflight({
        session: s,
        client: createMlClient(s.settings, s.credential),
        log,
        required: [MODEL_WRITE],
      });
      expect(workspace.name).toBe(emu.workspace);
    } finally {
      process.env.PATH = previousPath;
    }
  });
});

describe('pre-flight', () => {
  async function asRole(role: string | undefined) {
    const secret = `role-secret-${role ?? 'none'}`.replace(/\W/g, '-');
    const clientId = await addPrincipal({ secret, roles: role ? [role] : [], displayName: role ?? 'no-role' });
    const s = session(settings({ 'auth-type': 'secret', 'client-id': clientId, 'client-secret': secret }));
    return { s, client: createMlClient(s.settings, s.credential) };
  }

  it('a principal without a role gets the role it needs, and nothing is written', async () => {
    const { s, client } = await asRole(undefined);
    const error = await loginError(() => preflight({ session: s, client, log, required: [MODEL_WRITE] }));
    expect(error.message).toMatch(/Azure refused reading the workspace .* \(HTTP 403\): AuthorizationFailed/);
    expect(error.message).toMatch(/has no role on it: grant 'AzureML Data Scientist'/);
    expect(error.message).toMatch(/request id [\w-]+, correlation id [\w-]+/);
  });

  it('Reader cannot write: the missing action and a role that grants it are named', async () => {
    const { s, client } = await asRole('Reader');
    await admin(emu, 'DELETE', '/requests');
    const error = await loginError(() => preflight({ session: s, client, log, required: [MODEL_WRITE] }));
    expect(error.message).toContain(
      "Missing: Microsoft.MachineLearningServices/workspaces/models/versions/write (to register the model version; granted by 'AzureML Data Scientist'",
    );
    const requests = ((await admin(emu, 'GET', '/requests?service=arm')).body as { value: Array<{ method: string }> })
      .value;
    expect(requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('AzureML Data Scientist cannot create compute', async () => {
    const { s, client } = await asRole('AzureML Data Scientist');
    await preflight({ session: s, client, log, required: [MODEL_WRITE] });
    const error = await loginError(() =>
      preflight({ session: s, client, log, required: [MODEL_WRITE, COMPUTE_WRITE] }),
    );
    expect(error.message).toMatch(
      /computes\/write \(to create the compute cluster; granted by 'AzureML Compute Operator'/,
    );
  });

  it('explains a workspace that does not exist with where it looked', async () => {
    // With a role on the resource group, ARM can say 404; a workspace-scoped role gets 403 (next test).
    const secret = 'rg-reader-secret';
    const clientId = await addPrincipal({
      secret,
      roles: [{ role: 'Reader', scope: `/subscriptions/${emu.subscriptionId}/resourceGroups/${emu.resourceGroup}` }],
    });
    const s = session(
      settings({ workspace: 'no-such-ws', 'auth-type': 'secret', 'client-id': clientId, 'client-secret': secret }),
    );
    const error = await loginError(() =>
      preflight({ session: s, client: createMlClient(s.settings, s.credential), log, required: [] }),
    );
    expect(error.message).toMatch(/workspace 'no-such-ws' in resource group '.*' of subscription [\w-]+ \(HTTP 404\)/);
    expect(error.message).toContain("Check 'workspace', 'resource-group' and 'subscription-id'");
  });
});

describe('workspace outside the role assignment', () => {
  it('names both causes of a 403 on the workspace', async () => {
    const s = session(settings({ workspace: 'no-such-ws' }));
    const error = await loginError(() =>
      preflight({ session: s, client: createMlClient(s.settings, s.credential), log, required: [] }),
    );
    expect(error.message).toMatch(
      /\(HTTP 403\): AuthorizationFailed: .* Either no workspace exists there .* or the identity .* has no role on it/,
    );
  });
});

describe('ARM action wildcards', () => {
  it.each([
    ['*', 'Microsoft.MachineLearningServices/workspaces/models/versions/write', true],
    ['*/read', 'Microsoft.MachineLearningServices/workspaces/read', true],
    ['*/read', 'Microsoft.MachineLearningServices/workspaces/write', false],
    [
      'Microsoft.MachineLearningServices/workspaces/*/write',
      'Microsoft.MachineLearningServices/workspaces/models/versions/write',
      true,
    ],
    [
      'Microsoft.MachineLearningServices/workspaces/computes/*/write',
      'Microsoft.MachineLearningServices/workspaces/computes/write',
      true,
    ],
    ['microsoft.machinelearningservices/workspaces/*', 'Microsoft.MachineLearningServices/workspaces/jobs/write', true],
    ['Microsoft.Storage/*', 'Microsoft.MachineLearningServices/workspaces/read', false],
  ])('%s matches %s: %s', (pattern, action, expected) => {
    expect(actionPatternMatches(pattern, action)).toBe(expected);
  });

  it('notActions remove what actions grant', () => {
    const dataScientist = [
      {
        actions: ['Microsoft.MachineLearningServices/workspaces/*/write'],
        notActions: ['Microsoft.MachineLearningServices/workspaces/computes/*/write'],
      },
    ];
    expect(isAllowed(dataScientist, MODEL_WRITE.action)).toBe(true);
    expect(isAllowed(dataScientist, COMPUTE_WRITE.action)).toBe(false);
  });
});
