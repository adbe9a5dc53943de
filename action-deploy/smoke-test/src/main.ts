// action-deploy/smoke-test: parse the inputs, then (in dry-run) show what would be sent and checked.
// The probe lands with shared/smoke; until then a real run fails and says so.

import type { ActionContext } from '../../../shared/action/context.js';
import { notBuiltYet } from '../../../shared/action/notBuilt.js';
import { reportPlan } from '../../../shared/action/plan.js';
import { runAction } from '../../../shared/github/adapter.js';
import { InputReader } from '../../../shared/inputs/reader.js';
import { readSmokeTestInputs } from './inputs.js';

export async function main(): Promise<void> {
  await runAction('smoke-test', smokeTest);
}

export async function smokeTest(context: ActionContext): Promise<void> {
  const { target, settings } = readSmokeTestInputs(
    new InputReader(context.inputs, '', (secret) => context.log.setSecret(secret)),
  );
  const dryRun = target.kind === 'uri' ? target.dryRun : target.common.dryRun;
  if (!dryRun) throw notBuiltYet('smoke-test', 'the load probe');
  const where =
    target.kind === 'uri'
      ? new URL(target.scoringUri).origin + new URL(target.scoringUri).pathname
      : `onlineEndpoints/${target.endpoint}`;
  const load =
    settings.load.mode === 'requests'
      ? `${settings.load.requests} requests, ${settings.load.concurrency} at once`
      : `${settings.load.durationMs} ms at ${settings.load.rate} requests/s`;
  const checks = [`status ${settings.expectStatus}`, ...settings.expectJson.map((e) => e.source)];
  if (settings.expectBody) checks.push(`body ~ ${settings.expectBody.source}`);
  if (settings.p95Ms !== undefined) checks.push(`p95 <= ${settings.p95Ms} ms`);
  if (settings.p99Ms !== undefined) checks.push(`p99 <= ${settings.p99Ms} ms`);
  checks.push(`error rate <= ${settings.maxErrorRate}`);
  reportPlan(context, {
    action: 'smoke-test',
    settings: [
      ['target', where],
      ['deployment', target.deployment ?? '(traffic split)'],
      ['payload', settings.payload.kind === 'inline' ? 'inline JSON' : settings.payload.path],
      ['load', load],
    ],
    steps: [
      ...(target.kind === 'endpoint'
        ? [{ verb: 'read' as const, target: where, detail: 'scoring URI and credentials by auth mode' }]
        : []),
      { verb: 'test', target: where, detail: `${settings.method} ${load}; checks: ${checks.join(', ')}` },
    ],
    outputs: {},
  });
}
