// Reliability, login (issue #12): every way the login can be refused, through the built bundles as
// the runner runs them, against the emulator's Entra, OIDC issuer and ARM. Each case must exit 1 with
// the explanation of its cause, and no write request may reach ARM (the emulator's request log).
// tests/login/login.test.ts covers the same causes one layer down (shared/azure/login.ts in process);
// these cases are the actions' end of it: exit code, annotation, and nothing changed in Azure.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../../emulator/index.js';
import { start } from '../emulator/helpers.js';
import type { ActionRun } from '../harness/runAction.js';
import { leakMessage } from '../harness/secretScan.js';
import {
  act,
  admin,
  addFault,
  addPrincipal,
  errorsOf,
  isArmWrite,
  lastError,
  mapLimited,
  reliabilityCase,
  requestLog,
  secretsScanCase,
  writeFigures,
  type LoggedRequest,
} from './support.js';

let emu: RunningEmulator;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'reliability-login-'));
/** A principal that trusts only main: a PR, another branch or an environment is not its subject. */
let mainOnly = '';
const MAIN = 'repo:octo-org/octo-repo:ref:refs/heads/main';

interface LoginCase {
  name: string;
  action?: string;
  inputs?: Record<string, string>;
  env?: Record<string, string | undefined>;
  /** Claims of the GitHub ID token this case's run gets (the emulator's admin API; one case at a time). */
  claims?: Record<string, unknown>;
  /** A fault rule active during the case (cases with one also run one at a time). */
  fault?: Record<string, unknown>;
  message: RegExp;
  bug?: string;
}

const results = new Map<string, { run: ActionRun; writes: LoggedRequest[] }>();

function register(extra: Record<string, string> = {}): Record<string, string> {
  return { name: 'login-probe', path: 'models/m.onnx', ...extra };
}

const secrets = {
  right: 'reliability-right-secret-8c1d',
  wrong: 'reliability-wrong-secret-3f9a',
  noRole: 'reliability-norole-secret-51e0',
  reader: 'reliability-reader-secret-77b2',
  scientist: 'reliability-scientist-secret-0a4c',
  expired: 'reliability-expired-secret-9d3e',
};
const clients: Record<string, string> = {};

const cases: LoginCase[] = [
  // OIDC subject mismatches: the principal trusts main only.
  {
    name: 'OIDC: a branch without a federated credential',
    claims: { sub: 'repo:octo-org/octo-repo:ref:refs/heads/feature-x', ref: 'refs/heads/feature-x' },
    message:
      /no federated credential of app .* matches this workflow\. This run presented subject 'repo:octo-org\/octo-repo:ref:refs\/heads\/feature-x'/,
  },
  {
    name: 'OIDC: a pull request',
    claims: { event_name: 'pull_request', sub: 'repo:octo-org/octo-repo:pull_request' },
    message: /presented subject 'repo:octo-org\/octo-repo:pull_request'.*Subject formats:/,
  },
  {
    name: 'OIDC: another repository',
    claims: { repository: 'evil-org/octo-repo', sub: 'repo:evil-org/octo-repo:ref:refs/heads/main' },
    message: /presented subject 'repo:evil-org\/octo-repo:ref:refs\/heads\/main'/,
  },
  {
    name: 'OIDC: an environment',
    claims: { environment: 'production', sub: 'repo:octo-org/octo-repo:environment:production' },
    message: /presented subject 'repo:octo-org\/octo-repo:environment:production'.*environment 'production'/,
  },
  {
    name: 'OIDC: a subject that differs only in case',
    claims: { sub: 'repo:octo-org/Octo-Repo:ref:refs/heads/main' },
    message: /exactly that \(case-sensitive\).*AADSTS7002138/,
  },
  {
    name: 'OIDC: another issuer',
    claims: { iss: 'https://token.example.com' },
    message: /trusts the issuer of GitHub's token.*issuer 'https:\/\/token\.example\.com'/,
  },
  {
    name: 'OIDC: an expired ID token',
    claims: { lifetime: -900 },
    message: /the GitHub ID token had expired when Entra received it.*AADSTS700024/,
  },
  {
    name: 'OIDC: a wrong audience',
    inputs: register({ audience: 'api://AzureADTokenExchange-other' }),
    message: /do not accept the audience 'api:\/\/AzureADTokenExchange-other'.*AADSTS700212/,
  },
  {
    name: 'OIDC: a wrong tenant',
    inputs: register({ 'tenant-id': '99999999-9999-4999-8999-999999999999' }),
    message:
      /no tenant '99999999-9999-4999-8999-999999999999'|tenant '99999999-9999-4999-8999-999999999999' was not found/,
  },
  {
    name: "OIDC: the job lacks 'id-token: write'",
    inputs: register({ 'auth-type': 'oidc' }),
    env: { ACTIONS_ID_TOKEN_REQUEST_URL: undefined, ACTIONS_ID_TOKEN_REQUEST_TOKEN: undefined },
    message: /permissions: id-token: write/,
  },
  {
    name: 'secret: a wrong client secret',
    inputs: register({ 'auth-type': 'secret', 'client-secret': secrets.wrong }),
    message: /the client secret is not valid for app .*AADSTS7000215/,
  },
  {
    name: 'secret: an expired client secret',
    inputs: register({ 'auth-type': 'secret', 'client-secret': secrets.expired }),
    message:
      /the client secret of app .* has expired\. Create a new one.*AADSTS7000222: The provided client secret keys for app '[^']+' are expired\./,
  },
  {
    name: 'RBAC: a principal without any role',
    inputs: register({ 'auth-type': 'secret', 'client-secret': secrets.noRole }),
    message: /\(HTTP 403\): AuthorizationFailed.*has no role on it: grant 'AzureML Data Scientist'/,
  },
  {
    name: 'RBAC: Reader is stopped by the permission pre-flight',
    inputs: register({ 'auth-type': 'secret', 'client-secret': secrets.reader }),
    message:
      /Missing: Microsoft\.MachineLearningServices\/workspaces\/models\/versions\/write .*granted by 'AzureML Data Scientist'/,
  },
  {
    name: 'RBAC: AzureML Data Scientist asked to create compute (action-pipeline)',
    action: 'action-pipeline',
    inputs: {
      compute: 'cpu-login',
      'create-compute': 'true',
      'auth-type': 'secret',
      'client-secret': secrets.scientist,
    },
    message:
      /Missing: Microsoft\.MachineLearningServices\/workspaces\/computes\/write .*granted by 'AzureML Compute Operator'/,
  },
  {
    name: 'RBAC: Reader asked to deploy (action-deploy)',
    action: 'action-deploy',
    inputs: { endpoint: 'login-ep', model: 'azureml:m:1', 'auth-type': 'secret', 'client-secret': secrets.reader },
    message: /Missing: Microsoft\.MachineLearningServices\/workspaces\/onlineEndpoints\/write/,
  },
];

function clientFor(c: LoginCase): string {
  const secret = c.inputs?.['client-secret'];
  if (secret === secrets.wrong || secret === secrets.right) return clients.right ?? '';
  if (secret === secrets.noRole) return clients.noRole ?? '';
  if (secret === secrets.reader) return clients.reader ?? '';
  if (secret === secrets.scientist) return clients.scientist ?? '';
  if (secret === secrets.expired) return clients.expired ?? '';
  return mainOnly;
}

async function runCase(c: LoginCase): Promise<void> {
  if (c.claims) await admin(emu, 'POST', '/oidc/claims', c.claims);
  if (c.fault) await addFault(emu, c.fault);
  const before = (await requestLog(emu)).at(-1)?.id ?? 0;
  const run = await act(`login: ${c.name}`, {
    action: c.action ?? 'action-register',
    inputs: { 'client-id': clientFor(c), ...(c.inputs ?? register()) },
    env: { ...emu.env, ...c.env },
    workspace,
  });
  if (c.claims) await admin(emu, 'DELETE', '/oidc/claims');
  if (c.fault) await admin(emu, 'DELETE', '/faults');
  process.stderr.write(`${c.name}: ${run.durationMs} ms\n`);
  results.set(c.name, { run, writes: (await requestLog(emu, `?since=${before}`)).filter(isArmWrite) });
}

beforeAll(async () => {
  emu = await start();
  mkdirSync(path.join(workspace, 'models'));
  writeFileSync(path.join(workspace, 'models', 'm.onnx'), 'not really onnx');
  mainOnly = await addPrincipal(emu, {
    displayName: 'main-only',
    federatedCredentials: [{ subject: MAIN }],
    roles: ['Contributor'],
  });
  clients.right = await addPrincipal(emu, { secret: secrets.right, roles: ['Contributor'] });
  clients.noRole = await addPrincipal(emu, { secret: secrets.noRole, roles: [] });
  clients.reader = await addPrincipal(emu, { secret: secrets.reader, roles: ['Reader'] });
  clients.scientist = await addPrincipal(emu, { secret: secrets.scientist, roles: ['AzureML Data Scientist'] });
  // Entra refuses a secret after its end date (Graph's passwordCredential endDateTime).
  const yesterday = new Date(Date.now() - 24 * 3600_000).toISOString();
  clients.expired = await addPrincipal(emu, {
    secrets: [{ secretText: secrets.expired, endDateTime: yesterday }],
    roles: ['Contributor'],
  });
  // Claims and faults are global to the emulator: those cases run one after another; the rest at once.
  const serial = cases.filter((c) => c.claims || c.fault);
  const parallel = cases.filter((c) => !c.claims && !c.fault);
  await Promise.all([
    (async () => {
      for (const c of serial) await runCase(c);
    })(),
    mapLimited(parallel, 3, runCase),
  ]);
}, 120_000);

afterAll(async () => {
  writeFigures('login');
  await emu?.stop();
});

describe('login refusals: exit 1, the cause explained, zero ARM writes', () => {
  for (const c of cases) {
    reliabilityCase(
      'login',
      c.name,
      () => {
        const result = results.get(c.name);
        expect(result).toBeDefined();
        const { run, writes } = result as { run: ActionRun; writes: LoggedRequest[] };
        expect(lastError(run)).toMatch(c.message);
        expect(run.exitCode).toBe(1);
        // One paragraph, not a stack: a refused login is the user's to fix, not a bug report.
        expect(errorsOf(run).join('\n')).not.toMatch(/hit an unexpected error|\n\s+at /);
        expect(writes).toEqual([]);
      },
      c.bug ? { bug: c.bug } : {},
    );
  }

  reliabilityCase('login', 'the correct secret logs in (control: the refusals are about their cause)', async () => {
    const run = await act('login: control', {
      action: 'action-register',
      inputs: {
        'client-id': clients.right ?? '',
        'auth-type': 'secret',
        'client-secret': secrets.right,
        kind: 'environment',
        name: 'login-control',
        image: 'mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest',
      },
      env: emu.env,
      workspace,
    });
    expect(lastError(run)).toContain('(no error; exit 0)');
  });
});

describe('secrets', () => {
  it('a planted leak fails the run: an issued client secret echoed by an input error is found, and not repeated', async () => {
    const planted = 'planted-leak-secret-5b7e!';
    const clientId = await addPrincipal(emu, { secret: planted, roles: [] });
    const run = await act('secrets: planted leak', {
      action: 'action-register',
      inputs: { 'client-id': clientId, name: planted, path: 'models/m.onnx' },
      env: emu.env,
      workspace,
      secretScan: 'planted',
    });
    // The action echoes a bad name (it does not know the name is someone's secret).
    expect(lastError(run)).toContain(`Input 'name' has the value '${planted}'`);
    const message = leakMessage('action-register', run.secretScan.hits);
    expect(message).toMatch(/client secret #\d+ \(as is\) in (log \(stdout\)|error annotation)/);
    expect(message).not.toContain(planted);
    await expect(
      act('secrets: the same leak, enforced', {
        action: 'action-register',
        inputs: { 'client-id': clientId, name: planted, path: 'models/m.onnx' },
        env: emu.env,
        workspace,
        secretScan: 'planted-enforced',
      }),
    ).rejects.toThrow(/showed \d+ secret\(s\) that must never appear/);
  });

  secretsScanCase(() => emu, ['client secret', 'GitHub ID token', 'Entra access token']);
});
