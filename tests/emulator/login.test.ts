// Entra + GitHub OIDC of the emulator, driven by the real @azure/identity and @actions/core.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { RunningEmulator } from '../../emulator/index.js';
import { ARM_SCOPE, admin, oidcCredential, secretCredential, start } from './helpers.js';

let emu: RunningEmulator;

beforeAll(async () => {
  emu = await start();
});
afterAll(async () => {
  await emu?.stop();
});
beforeEach(async () => {
  await admin(emu, 'DELETE', '/oidc/claims');
});

function decode(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the token request to be refused');
}

describe('GitHub OIDC issuer', () => {
  it('serves core.getIDToken with GitHub claims and a JWKS that verifies them', async () => {
    const core = await import('@actions/core');
    const token = await core.getIDToken('api://AzureADTokenExchange');
    const claims = decode(token);
    expect(claims).toMatchObject({
      sub: 'repo:octo-org/octo-repo:ref:refs/heads/main',
      aud: 'api://AzureADTokenExchange',
      iss: emu.oidcIssuer,
      repository: 'octo-org/octo-repo',
      ref: 'refs/heads/main',
      event_name: 'push',
    });
    for (const k of ['sha', 'run_id', 'job_workflow_ref', 'exp', 'nbf', 'iat', 'jti']) expect(claims[k]).toBeDefined();
    const jwks = (await (await fetch(`${emu.oidcIssuer}/.well-known/jwks`)).json()) as { keys: { kid: string }[] };
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { kid: string };
    expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);
  });

  it('refuses an ID-token request without the request token', async () => {
    const res = await fetch(`${emu.oidcRequestUrl}&audience=x`);
    expect(res.status).toBe(401);
  });

  it('admin POST /oidc/claims imitates a pull request and an environment', async () => {
    const core = await import('@actions/core');
    await admin(emu, 'POST', '/oidc/claims', { event_name: 'pull_request' });
    expect(decode(await core.getIDToken('a')).sub).toBe('repo:octo-org/octo-repo:pull_request');
    await admin(emu, 'POST', '/oidc/claims', { environment: 'production' });
    const c = decode(await core.getIDToken('a'));
    expect(c.sub).toBe('repo:octo-org/octo-repo:environment:production');
    expect(c.environment).toBe('production');
  });
});

describe('Entra token endpoint', () => {
  it('exchanges a GitHub ID token for an ARM token (ClientAssertionCredential + getIDToken)', async () => {
    const cred = await oidcCredential(emu);
    const token = await cred.getToken(ARM_SCOPE);
    const claims = decode(token.token);
    expect(claims).toMatchObject({
      aud: 'https://management.azure.com/',
      appid: emu.clientId,
      tid: emu.tenantId,
      idtyp: 'app',
    });
    expect(typeof claims.oid).toBe('string');
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3000_000);
  });

  it('issues tokens for https://ml.azure.com and storage', async () => {
    const cred = await oidcCredential(emu);
    // No trailing slash for Azure ML: azure-ai-ml compares `aud` with 'https://ml.azure.com' exactly.
    expect(decode((await cred.getToken('https://ml.azure.com/.default')).token).aud).toBe('https://ml.azure.com');
    expect(decode((await cred.getToken('https://storage.azure.com/.default')).token).aud).toBe(
      'https://storage.azure.com/',
    );
  });

  it('accepts the pull_request and environment subjects of the seeded credential', async () => {
    await admin(emu, 'POST', '/oidc/claims', { environment: 'production' });
    await expect((await oidcCredential(emu)).getToken(ARM_SCOPE)).resolves.toBeDefined();
  });

  it('refuses a subject mismatch with AADSTS700213 and names the subject', async () => {
    await admin(emu, 'POST', '/oidc/claims', { ref: 'refs/heads/feature' });
    const message = await refusal((await oidcCredential(emu)).getToken(ARM_SCOPE));
    expect(message).toContain('AADSTS700213');
    expect(message).toContain('repo:octo-org/octo-repo:ref:refs/heads/feature');
  });

  it('refuses a subject that differs only in case with AADSTS7002138', async () => {
    await admin(emu, 'POST', '/oidc/claims', { sub: 'repo:Octo-Org/octo-repo:ref:refs/heads/main' });
    expect(await refusal((await oidcCredential(emu)).getToken(ARM_SCOPE))).toContain('AADSTS7002138');
  });

  it('refuses an audience mismatch with AADSTS700212', async () => {
    const message = await refusal(
      (await oidcCredential(emu, emu.clientId, 'api://AzureADTokenExchange2')).getToken(ARM_SCOPE),
    );
    expect(message).toContain('AADSTS700212');
  });

  it('refuses an issuer mismatch with AADSTS700211', async () => {
    await admin(emu, 'POST', '/oidc/claims', { iss: 'https://token.actions.githubusercontent.com' });
    expect(await refusal((await oidcCredential(emu)).getToken(ARM_SCOPE))).toContain('AADSTS700211');
  });

  it('refuses an expired assertion with AADSTS700024', async () => {
    await admin(emu, 'POST', '/oidc/claims', { lifetime: -600 });
    expect(await refusal((await oidcCredential(emu)).getToken(ARM_SCOPE))).toContain('AADSTS700024');
  });

  it('refuses a forged assertion (not signed by the issuer) with AADSTS700027', async () => {
    const core = await import('@actions/core');
    const real = await core.getIDToken('api://AzureADTokenExchange');
    const [h, p] = real.split('.');
    const forged = `${h}.${p}.${Buffer.from('not a signature').toString('base64url')}`;
    const { ClientAssertionCredential } = await import('@azure/identity');
    const cred = new ClientAssertionCredential(emu.tenantId, emu.clientId, () => Promise.resolve(forged), {
      authorityHost: emu.authorityHost,
      disableInstanceDiscovery: true,
    });
    expect(await refusal(cred.getToken(ARM_SCOPE))).toContain('AADSTS700027');
  });

  it('checks client secrets (AADSTS7000215) and unknown apps (AADSTS700016), unknown tenants (AADSTS90002)', async () => {
    const added = await admin(emu, 'POST', '/principals', { secret: 's3cret-value', roles: ['Reader'] });
    const clientId = (added.body as { clientId: string }).clientId;
    await expect(secretCredential(emu, clientId, 's3cret-value').getToken(ARM_SCOPE)).resolves.toBeDefined();
    expect(await refusal(secretCredential(emu, clientId, 'wrong').getToken(ARM_SCOPE))).toContain('AADSTS7000215');
    expect(
      await refusal(secretCredential(emu, '00000000-0000-4000-8000-000000000000', 'x').getToken(ARM_SCOPE)),
    ).toContain('AADSTS700016');
    const res = await fetch(
      `${emu.authorityHost}/11111111-2222-3333-4444-555555555555/v2.0/.well-known/openid-configuration`,
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error_description: string }).error_description).toContain('AADSTS90002');
  });

  it('logs token requests with the assertion and secrets redacted', async () => {
    const log = await admin(emu, 'GET', '/requests?service=entra');
    const text = JSON.stringify(log.body);
    expect(text).toContain('client_assertion');
    expect(text).not.toContain('s3cret-value');
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}\./);
  });
});
