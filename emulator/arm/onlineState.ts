// Run-time state of online endpoints that ARM does not return in the resource: keys, the traffic
// actually in force (applied when an update completes) and deployment container logs.
import { randomBytes } from 'node:crypto';
import type { EmulatorContext } from '../context.js';
import { getResource } from './store.js';

export interface EndpointRuntime {
  primaryKey: string;
  secondaryKey: string;
  /** Traffic in force (deployment name → percent), applied when the endpoint's update completes. */
  liveTraffic: Record<string, number>;
}

export interface DeploymentLogs {
  StorageInitializer: string[];
  InferenceServer: string[];
}

export function newKey(): string {
  return randomBytes(24).toString('base64').replace(/[+/=]/g, '').slice(0, 32);
}

export function endpointId(ctx: EmulatorContext, name: string): string {
  return `${ctx.workspaceId}/onlineEndpoints/${name}`;
}

export function deploymentId(ctx: EmulatorContext, endpoint: string, name: string): string {
  return `${endpointId(ctx, endpoint)}/deployments/${name}`;
}

export function endpointRuntime(ctx: EmulatorContext, id: string): EndpointRuntime {
  const key = `endpoint:${id.toLowerCase()}`;
  let rt = ctx.extra.get(key) as EndpointRuntime | undefined;
  if (!rt) {
    rt = { primaryKey: newKey(), secondaryKey: newKey(), liveTraffic: {} };
    ctx.issueSecret('endpoint key', rt.primaryKey);
    ctx.issueSecret('endpoint key', rt.secondaryKey);
    ctx.extra.set(key, rt);
  }
  return rt;
}

export function dropRuntime(ctx: EmulatorContext, id: string): void {
  const lower = id.toLowerCase();
  for (const k of [...ctx.extra.keys()]) {
    if (k === `endpoint:${lower}` || k.startsWith(`logs:${lower}/`)) ctx.extra.delete(k);
  }
}

export function deploymentLogs(ctx: EmulatorContext, id: string): DeploymentLogs {
  const key = `logs:${id.toLowerCase()}`;
  let logs = ctx.extra.get(key) as DeploymentLogs | undefined;
  if (!logs) {
    logs = { StorageInitializer: [], InferenceServer: [] };
    ctx.extra.set(key, logs);
  }
  return logs;
}

/** A line of the emulated platform (storage initializer, server start), stamped with its time. */
export function logLine(logs: string[], line: string): void {
  containerOutput(logs, `${new Date().toISOString()} ${line}`);
}

/**
 * What the container printed itself (the scoring script, a dependency): kept exactly as printed,
 * with no timestamp before it, as Azure's getLogs returns a container's stdout. A `\r` in it stays.
 */
export function containerOutput(logs: string[], line: string): void {
  logs.push(line);
  if (logs.length > 5000) logs.splice(0, logs.length - 5000);
}

export const terminalStates = ['Succeeded', 'Failed', 'Canceled'];

export function provisioningState(ctx: EmulatorContext, id: string): string | undefined {
  const r = getResource(ctx, id);
  if (!r) return undefined;
  return String((r.body.properties as Record<string, unknown>).provisioningState);
}

export function setProvisioningState(ctx: EmulatorContext, id: string, state: string): void {
  const r = getResource(ctx, id);
  if (r) (r.body.properties as Record<string, unknown>).provisioningState = state;
}
