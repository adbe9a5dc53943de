// The ARM token goes only to hosts it belongs to (issue 32): action-pipeline reads job progress from
// URLs that come from answers (the workspace's writable discoveryUrl, the discovery document, a
// run's logFiles). An https server on another port of this machine (trusted CA: a host an attacker
// could run) counts what reaches it. Through the built action: a workspace whose discoveryUrl was
// changed sends nothing there. In process (openRunHistory): a discovery answer naming another
// host is refused before any call, and a log URL on another host is fetched with no token.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { openRunHistory } from '../../action-pipeline/src/runHistory.js';
import { ensureCa } from '../../emulator/ca.js';
import type { RunningEmulator } from '../../emulator/index.js';
import { getResource } from '../../emulator/arm/store.js';
import { KNOWN_CLOUDS, type Cloud } from '../../shared/azure/cloud.js';
import { start } from '../emulator/helpers.js';
import { runAction } from '../harness/runAction.js';

interface Seen {
  path: string;
  authorization: string | undefined;
}

/** An https server that records each request and answers from `routes` (path → JSON or text). */
async function httpsHost(routes: Record<string, unknown> = {}): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const ca = ensureCa();
  const seen: Seen[] = [];
  const server = createServer({ cert: readFileSync(ca.certFile), key: readFileSync(ca.keyFile) }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://x');
    seen.push({ path: url.pathname, authorization: req.headers.authorization });
    const answer = Object.entries(routes).find(([prefix]) => url.pathname.startsWith(prefix))?.[1];
    res.writeHead(answer === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(typeof answer === 'string' ? answer : JSON.stringify(answer ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const TOKEN = 'arm-token-that-must-stay-home';
const credential: TokenCredential = {
  getToken: () => Promise.resolve({ token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 } as AccessToken),
};

const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
});

describe('action-pipeline, built: a changed discoveryUrl', () => {
  let emu: RunningEmulator;
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'token-hosts-'));
  beforeAll(async () => {
    emu = await start({ azurite: true });
    writeFileSync(
      path.join(workspace, 'job.yml'),
      [
        'type: command',
        'command: python train.py',
        'environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest',
        'compute: azureml:th-cpu',
        '',
      ].join('\n'),
    );
    const cluster = await runAction({
      action: 'action-pipeline',
      inputs: { compute: 'th-cpu', 'create-compute': 'true' },
      env: emu.env,
      workspace,
    });
    expect(cluster.exitCode).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await emu?.stop();
  });

  it('sends no request (and so no token) to a discoveryUrl on another host, and says why', async () => {
    const attacker = await httpsHost({ '/discovery': { history: 'https://127.0.0.1:1' } });
    servers.push(attacker.server);
    // Anyone who can write the workspace can set its discoveryUrl (a writable ARM property).
    const ws = getResource(emu.context, emu.context.workspaceId);
    (ws?.body.properties as Record<string, unknown>).discoveryUrl = `${attacker.url}/discovery`;
    const run = await runAction({ action: 'action-pipeline', inputs: { job: 'job.yml' }, env: emu.env, workspace });
    expect(run.exitCode).toBe(1);
    expect(run.annotations.at(-1)?.message).toContain(
      `The workspace's discoveryUrl points at "${attacker.url}": the Azure token is only sent over https to the Azure ML data plane of cloud 'custom'`,
    );
    expect(attacker.seen).toEqual([]);
  }, 120_000);
});

describe('openRunHistory: URLs from answers', () => {
  it('refuses a discovery answer that names another host, before calling it', async () => {
    const attacker = await httpsHost();
    const discovery = await httpsHost({ '/discovery': { history: attacker.url } });
    servers.push(attacker.server, discovery.server);
    const cloud: Cloud = {
      ...KNOWN_CLOUDS.AzureCloud,
      name: 'custom',
      mlDataPlaneHosts: [new URL(discovery.url).host],
    };
    await expect(
      openRunHistory({
        credential,
        cloud,
        armScope: cloud.armScope,
        workspaceId: '/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w',
        discoveryUrl: `${discovery.url}/discovery`,
        mlflowTrackingUri: undefined,
        experiment: 'e',
      }),
    ).rejects.toThrow(`The run-history URL in the workspace's discovery answer points at "${attacker.url}"`);
    expect(discovery.seen.map((s) => s.authorization)).toEqual([`Bearer ${TOKEN}`]);
    expect(attacker.seen).toEqual([]);
  });

  it('refuses an mlFlowTrackingUri on another host', async () => {
    const discovery = await httpsHost({ '/discovery': {} });
    servers.push(discovery.server);
    const cloud: Cloud = {
      ...KNOWN_CLOUDS.AzureCloud,
      name: 'custom',
      mlDataPlaneHosts: [new URL(discovery.url).host],
    };
    await expect(
      openRunHistory({
        credential,
        cloud,
        armScope: cloud.armScope,
        workspaceId: '/w',
        discoveryUrl: `${discovery.url}/discovery`,
        mlflowTrackingUri: 'azureml://attacker.example/mlflow/v1.0/w',
        experiment: 'e',
      }),
    ).rejects.toThrow(`The workspace's mlFlowTrackingUri points at "https://attacker.example"`);
  });

  it('fetches a log file (a SAS URL in Azure) on another host with no token', async () => {
    const storage = await httpsHost({ '/azureml/ExperimentRun/': 'line 1\nline 2\n' });
    const workspaceId = '/w';
    const dataPlane = await httpsHost({
      '/discovery': {},
      [`/history/v1.0${workspaceId}/experiments/e/runs/r1/details`]: {
        logFiles: { 'user_logs/std_log.txt': `${storage.url}/azureml/ExperimentRun/dcid.r1/std_log.txt?sig=s` },
      },
    });
    servers.push(storage.server, dataPlane.server);
    const cloud: Cloud = {
      ...KNOWN_CLOUDS.AzureCloud,
      name: 'custom',
      mlDataPlaneHosts: [new URL(dataPlane.url).host],
    };
    const history = await openRunHistory({
      credential,
      cloud,
      armScope: cloud.armScope,
      workspaceId,
      discoveryUrl: `${dataPlane.url}/discovery`,
      mlflowTrackingUri: undefined,
      experiment: 'e',
    });
    expect(await history.log('r1')).toBe('line 1\nline 2\n');
    expect(storage.seen).toEqual([{ path: '/azureml/ExperimentRun/dcid.r1/std_log.txt', authorization: undefined }]);
    expect(dataPlane.seen.every((s) => s.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });
});
