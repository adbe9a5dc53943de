// action-deploy/smoke-test: the release gate on its own. Calls an endpoint (scoring URI and
// credentials fetched by its auth mode) or a given scoring URI with its key, and fails the step
// when any expectation, budget or the error rate does not hold.
// The Azure SDK (only for an endpoint target) and the smoke engine's HTTP client are imported when
// they are used, so a dry run or an input error evaluates neither (ncc emits them as chunks).

import type { ActionContext } from '../../../shared/action/context.js';
import { reportPlan } from '../../../shared/action/plan.js';
import type { GateTarget } from '../../../shared/action/smokeGate.js';
import { runAction } from '../../../shared/github/adapter.js';
import { InputReader } from '../../../shared/inputs/reader.js';
import type { SmokeTestSettings } from '../../../shared/inputs/smokeTest.js';
import { readSmokeTestInputs, type SmokeTestInputs } from './inputs.js';

const ML = 'Microsoft.MachineLearningServices/workspaces';

export async function main(): Promise<void> {
  await runAction('smoke-test', smokeTest);
}

export async function smokeTest(context: ActionContext): Promise<void> {
  const inputs = readSmokeTestInputs(new InputReader(context.inputs, '', (secret) => context.log.setSecret(secret)));
  const { target, settings } = inputs;
  if (target.kind === 'uri' ? target.dryRun : target.common.dryRun) {
    reportPlan(context, planSmokeTest(inputs));
    return;
  }
  const gateTarget: GateTarget =
    target.kind === 'uri'
      ? {
          scoringUri: target.scoringUri,
          credential: target.key ? { kind: 'key', value: target.key } : undefined,
          deployment: target.deployment,
        }
      : await fetchEndpointTarget(context, target);
  const [{ gateFailure, runSmokeGate }, { smokeOutputs }] = await Promise.all([
    import('../../../shared/action/smokeGate.js'),
    import('../../../shared/smoke/index.js'),
  ]);
  const result = await runSmokeGate(context, settings, gateTarget);
  for (const [name, value] of Object.entries(smokeOutputs(result))) context.outputs.set(name, value);
  if (!result.passed) throw gateFailure(result);
  context.log.info(
    `Smoke test passed: ${result.requests} requests, p95 ${result.latency.p95?.toFixed(1) ?? '?'} ms, ${result.errors} errors.`,
  );
}

async function fetchEndpointTarget(
  context: ActionContext,
  target: Extract<SmokeTestInputs['target'], { kind: 'endpoint' }>,
): Promise<GateTarget> {
  const [{ connectToWorkspace }, { endpointAccess }] = await Promise.all([
    import('../../../shared/azure/connect.js'),
    import('../../../shared/azure/endpoints.js'),
  ]);
  const { client, session, settings } = await connectToWorkspace(context, target.common.azure, [
    { action: `${ML}/onlineEndpoints/read`, purpose: 'read the scoring URI' },
  ]);
  const access = await endpointAccess({ client, settings, session, endpoint: target.endpoint, log: context.log });
  context.log.info(`Endpoint ${target.endpoint}: ${access.scoringUri} (auth mode ${access.authMode}).`);
  return { scoringUri: access.scoringUri, credential: access.credential, deployment: target.deployment };
}

function planSmokeTest({ target, settings }: SmokeTestInputs) {
  const where = target.kind === 'uri' ? printable(target.scoringUri) : `onlineEndpoints/${target.endpoint}`;
  return {
    action: 'smoke-test',
    settings: [
      ['target', where],
      ['deployment', target.deployment ?? '(traffic split)'],
      ['payload', 'path' in settings.payload ? settings.payload.path : 'inline JSON'],
      ['load', describeLoad(settings)],
    ] as Array<[string, string]>,
    steps: [
      ...(target.kind === 'endpoint'
        ? [{ verb: 'read' as const, target: where, detail: 'scoring URI and credentials by auth mode' }]
        : []),
      {
        verb: 'test' as const,
        target: where,
        detail: `${settings.method} ${describeLoad(settings)}; checks: ${describeChecks(settings)}`,
      },
    ],
    outputs: {},
  };
}

function printable(uri: string): string {
  const url = new URL(uri);
  return url.origin + url.pathname;
}

function describeLoad(settings: SmokeTestSettings): string {
  return settings.load.mode === 'requests'
    ? `${settings.load.requests} requests, ${settings.load.concurrency} at once`
    : `${settings.load.durationMs} ms at ${settings.load.rate} requests/s`;
}

function describeChecks(settings: SmokeTestSettings): string {
  const checks = [`status ${settings.expectStatus}`, ...settings.expectJson.map((e) => e.line)];
  if (settings.expectBody) checks.push(`body ~ ${settings.expectBody.source}`);
  if (settings.p95Ms !== undefined) checks.push(`p95 <= ${settings.p95Ms} ms`);
  if (settings.p99Ms !== undefined) checks.push(`p99 <= ${settings.p99Ms} ms`);
  checks.push(`error rate <= ${settings.maxErrorRate}`);
  return checks.join(', ');
}
