// The release gate as both the smoke-test sub-action and action-deploy run it: parsed settings in,
// the probe run (shared/smoke), the summary written, and a verdict whose failure says what failed.

import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { SmokeTestSettings } from '../inputs/smokeTest.js';
import {
  loadCases,
  renderJobSummary,
  resolveSmokeConfig,
  runSmokeTest,
  Secret,
  type CredentialKind,
  type SmokeResult,
} from '../smoke/index.js';
import type { ActionContext } from './context.js';

export interface GateTarget {
  scoringUri: string;
  credential: { kind: CredentialKind; value: string } | undefined;
  /** Sent as azureml-model-deployment: the gate always tests this deployment, whatever the traffic. */
  deployment: string | undefined;
}

export async function runSmokeGate(
  context: ActionContext,
  settings: SmokeTestSettings,
  target: GateTarget,
): Promise<SmokeResult> {
  const reportDir = context.inputs.env('RUNNER_TEMP') ?? os.tmpdir();
  const config = resolveSmokeConfig({
    target: {
      url: target.scoringUri,
      method: settings.method,
      headers: settings.headers,
      ...(target.credential
        ? { credential: { kind: target.credential.kind, value: new Secret(target.credential.value) } }
        : {}),
      ...(target.deployment ? { deployment: target.deployment } : {}),
    },
    cases: await loadCases(settings.payload),
    expect: {
      status: [settings.expectStatus],
      json: settings.expectJson,
      ...(settings.expectBody ? { body: settings.expectBody } : {}),
    },
    budgets: {
      maxErrorRate: settings.maxErrorRate,
      ...(settings.p95Ms !== undefined ? { p95Ms: settings.p95Ms } : {}),
      ...(settings.p99Ms !== undefined ? { p99Ms: settings.p99Ms } : {}),
    },
    load:
      settings.load.mode === 'requests'
        ? { mode: 'requests', requests: settings.load.requests, concurrency: settings.load.concurrency }
        : // Rate mode keeps the engine's connection limit (64): 4 would queue a slow model's requests.
          { mode: 'duration', durationMs: settings.load.durationMs, rate: settings.load.rate },
    requestTimeoutMs: settings.requestTimeoutMs,
    warmup: settings.warmup,
    waitReadyMs: settings.waitReadyMs,
    reportPath: path.join(reportDir, `smoke-test-report-${Date.now()}.json`),
  });
  const result = await context.log.group(
    `Smoke test ${target.deployment ? `deployment ${target.deployment}` : ''}`.trim(),
    () => runSmokeTest(config, { logger: context.log }),
  );
  context.summary.append(renderJobSummary(result));
  return result;
}

/** The step's error when the gate failed; the engine has already annotated each failure. */
export function gateFailure(result: SmokeResult): UserError {
  const reasons = `${result.failures.length} check(s) did not hold (each is listed above): ${result.failures.map((f) => f.kind).join(', ')}.`;
  const auth = result.authFailure
    ? ' The endpoint refused the key or token (401/403): this is an authentication problem, not a model failure.'
    : '';
  return new UserError(`Smoke test failed against ${result.target}: ${reasons}${auth}`);
}
