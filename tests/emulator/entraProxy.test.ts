// What the Azure CLI needs beyond the actions: the Entra proxy (CONNECT only to Entra's host, served
// with a certificate from the emulator's CA), Entra's instance discovery, and ARM's subscription list.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import type { RunningEmulator } from '../../emulator/index.js';
import { admin, secretCredential, start, ARM_SCOPE } from './helpers.js';

let emu: RunningEmulator;

beforeAll(async () => {
  emu = await start();
});
afterAll(async () => {
  await emu?.stop();
});

/** Opens a tunnel through the proxy; resolves with the proxy's status line and the socket. */
function connect(target: string): Promise<{ status: number; socket: Socket }> {
  const proxy = new URL(emu.proxyUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: target });
    req.on('connect', (res, socket) => resolve({ status: res.statusCode ?? 0, socket }));
    req.on('error', reject);
    req.end();
  });
}

describe('Entra proxy', () => {
  it('tunnels to login.microsoftonline.com and answers as Entra with a certificate the CA signed', async () => {
    const { status, socket } = await connect('login.microsoftonline.com:443');
    expect(status).toBe(200);
    const secure = tls.connect({ socket, servername: 'login.microsoftonline.com', ca: readFileSync(emu.caFile) });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    secure.write(
      `GET /${emu.tenantId}/v2.0/.well-known/openid-configuration HTTP/1.1\r\nHost: login.microsoftonline.com\r\nConnection: close\r\n\r\n`,
    );
    let answer = '';
    for await (const chunk of secure) answer += String(chunk);
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toContain(`"token_endpoint":"${emu.authorityHost}/${emu.tenantId}/oauth2/v2.0/token"`);
  });

  it('refuses to tunnel anywhere else', async () => {
    const { status, socket } = await connect('example.com:443');
    socket.destroy();
    expect(status).toBe(403);
  });
});

describe('instance discovery', () => {
  it("lists Entra's aliases for its own host and refuses a custom authority host (AADSTS50049)", async () => {
    const discover = (endpoint: string) =>
      fetch(
        `${emu.authorityHost}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(endpoint)}`,
      );
    const known = await discover('https://login.microsoftonline.com/common/oauth2/authorize');
    expect(known.status).toBe(200);
    expect(await known.json()).toMatchObject({
      metadata: [expect.objectContaining({ aliases: expect.arrayContaining(['login.windows.net']) })],
    });
    const custom = await discover(`${emu.authorityHost}/${emu.tenantId}/oauth2/v2.0/authorize`);
    expect(custom.status).toBe(400);
    expect(await custom.json()).toMatchObject({ error: 'invalid_instance', error_codes: [50049] });
  });
});

describe('subscriptions', () => {
  it('lists the subscription to a principal with a role in it, and nothing to one without', async () => {
    const list = async (clientId: string, secret: string) => {
      const token = await secretCredential(emu, clientId, secret).getToken(ARM_SCOPE);
      const res = await fetch(`${emu.armUrl}/subscriptions?api-version=2019-11-01`, {
        headers: { authorization: `Bearer ${token?.token ?? ''}` },
      });
      return ((await res.json()) as { value: Array<{ subscriptionId: string; tenantId: string }> }).value;
    };
    const withRole = { clientId: randomUUID(), secret: `s-${randomUUID()}` };
    const without = { clientId: randomUUID(), secret: `s-${randomUUID()}` };
    await admin(emu, 'POST', '/principals', { ...withRole, roles: ['Reader'] });
    await admin(emu, 'POST', '/principals', without);
    expect(await list(withRole.clientId, withRole.secret)).toEqual([
      expect.objectContaining({ subscriptionId: emu.subscriptionId, tenantId: emu.tenantId }),
    ]);
    expect(await list(without.clientId, without.secret)).toEqual([]);
  });
});
