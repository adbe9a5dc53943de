// Login as GitHub and Entra behave today (issue 24), through the built action-register as the runner
// runs it: GitHub's ID-based subjects (`repo:OWNER@OWNER_ID/REPO@REPO_ID:…`, repositories created,
// renamed or transferred after June 18, 2026) against credentials in either form, each refusal
// explained from the presented token alone with both forms; and a job without `id-token: write` but
// with client-id and tenant-id, which `auth-type: auto` treats as OIDC and refuses at once, with no
// request sent anywhere. The Azure CLI path chosen explicitly is tested in tests/login/azureCli.test.ts.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../../emulator/index.js';
import { admin, start } from '../emulator/helpers.js';
import { runAction, type ActionRun } from '../harness/runAction.js';

const NAME_BASED = 'repo:octo-org/octo-repo:ref:refs/heads/main';
// The emulator's repository ids (emulator/oidc.ts), as GitHub puts them in the token's claims.
const ID_BASED = 'repo:octo-org@1342004/octo-repo@711540341:ref:refs/heads/main';

let emu: RunningEmulator;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'login-subjects-'));
const apps: Record<'nameBased' | 'idBased', string> = { nameBased: '', idBased: '' };

async function addApp(subject: string): Promise<string> {
  const response = await admin(emu, 'POST', '/principals', {
    displayName: `fic ${subject}`,
    federatedCredentials: [{ subject }],
    roles: ['Contributor'],
  });
  expect(response.status).toBeLessThan(300);
  return (response.body as { clientId: string }).clientId;
}

async function register(clientId: string, env: Record<string, string | undefined> = {}): Promise<ActionRun> {
  return runAction({
    action: 'action-register',
    inputs: { 'client-id': clientId, name: 'subject-probe', path: 'models/m.onnx' },
    env: { ...emu.env, ...env },
    workspace,
  });
}

const errorOf = (run: ActionRun) => run.annotations.find((a) => a.level === 'error')?.message ?? '';

beforeAll(async () => {
  emu = await start({ azurite: true });
  mkdirSync(path.join(workspace, 'models'));
  writeFileSync(path.join(workspace, 'models', 'm.onnx'), 'not really onnx');
  apps.nameBased = await addApp(NAME_BASED);
  apps.idBased = await addApp(ID_BASED);
});
afterAll(async () => {
  await admin(emu, 'DELETE', '/oidc/claims');
  await emu?.stop();
});

describe('ID-based and name-based subjects', () => {
  it('an ID-based token against a name-based credential: refused, with its name-based equivalent named', async () => {
    await admin(emu, 'POST', '/oidc/claims', { immutable_subject_claims: true });
    const run = await register(apps.nameBased);
    expect(run.exitCode).toBe(1);
    const error = errorOf(run);
    expect(error).toContain(`This run presented subject '${ID_BASED}'`);
    expect(error).toContain(`its name-based equivalent is '${NAME_BASED}'`);
    expect(error).toContain('a credential made with the name-based form never matches');
    expect(error).toContain('AADSTS700213');
  });

  it('a name-based token against an ID-based credential: refused, with the ID-based form named', async () => {
    await admin(emu, 'DELETE', '/oidc/claims');
    const run = await register(apps.idBased);
    expect(run.exitCode).toBe(1);
    const error = errorOf(run);
    expect(error).toContain(`This run presented subject '${NAME_BASED}'`);
    expect(error).toContain(`the ID-based form the Entra portal may propose ('${ID_BASED}')`);
    expect(error).toContain('AADSTS700213');
  });

  it('an ID-based token against a matching ID-based credential logs in and registers', async () => {
    await admin(emu, 'POST', '/oidc/claims', { immutable_subject_claims: true });
    const run = await register(apps.idBased);
    expect(errorOf(run)).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ name: 'subject-probe', version: '1' });
    await admin(emu, 'DELETE', '/oidc/claims');
  });
});

describe("a job without 'permissions: id-token: write'", () => {
  it('auth-type auto with client-id and tenant-id is OIDC: refused at once, naming the permission, nothing sent', async () => {
    await admin(emu, 'DELETE', '/requests');
    const run = await register(apps.nameBased, {
      ACTIONS_ID_TOKEN_REQUEST_URL: undefined,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: undefined,
    });
    expect(run.exitCode).toBe(1);
    const error = errorOf(run);
    expect(error).toContain("auth-type 'auto' means OIDC");
    expect(error).toContain("Add 'permissions: id-token: write' to the workflow or job");
    expect(error).not.toMatch(/Azure CLI could not be found/i);
    // Not a request to Entra, ARM or the ID-token URL: the cause is known before any.
    expect(((await admin(emu, 'GET', '/requests')).body as { value: unknown[] }).value).toEqual([]);
    process.stdout.write(`missing id-token permission reported after ${run.durationMs} ms (process start included)\n`);
  });
});
