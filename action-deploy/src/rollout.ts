// The rollout of a new deployment and its undoing: create it at 0 %, gate it with the smoke test,
// shift the traffic (at once or in canary steps, each guarded against a concurrent run), remove
// the previous one; on failure print its logs, restore the traffic and remove (or restore) it.

import type { OnlineDeployment } from '@azure/arm-machinelearning';
import { gateFailure, runSmokeGate } from '../../shared/action/smokeGate.js';
import { endpointAccess, setEndpointTraffic } from '../../shared/azure/endpoints.js';
import { POLL_INTERVAL_MS, retryWhileBusy, waitForOperation } from '../../shared/azure/lro.js';
import { UserError } from '../../shared/errors.js';
import { inertText } from '../../shared/github/untrustedText.js';
import type { SmokeResult } from '../../shared/smoke/index.js';
import { tagsWithRelease, type Release } from './releases.js';
import { smokeOutcome } from './report.js';
import type { DeployRun } from './run.js';

/** What one rollout changes, read before it starts. */
export interface RolloutPlan {
  /** The deployment this release creates (or, for strategy replace, updates in place). */
  deployment: string;
  /** The deployment that served most of the traffic before: the one this release replaces. */
  previous: string | undefined;
  /** `previous` as it was, to update it back when an in-place update fails. */
  previousBody: OnlineDeployment | undefined;
  /** strategy replace on the serving deployment: it is updated, not created beside it. */
  inPlace: boolean;
  /** The endpoint's traffic when this run started. */
  trafficBefore: Record<string, number>;
  /** Recorded on the endpoint's tags with the last traffic shift. */
  release: Release;
}

/**
 * Creates (or updates) the deployment with `body`, gates it, shifts the traffic, then removes the
 * deployments that served before (unless keep-previous). Any failure is rolled back and rethrown.
 * Answers the last smoke test's result (undefined when no gate is configured).
 */
export async function rollOut(
  run: DeployRun,
  plan: RolloutPlan,
  body: OnlineDeployment,
): Promise<SmokeResult | undefined> {
  const { connection, endpoint, log, deploy: d } = run;
  const { client, settings } = connection;
  const { resourceGroup: rg, workspace: ws } = settings;
  const { deployment, previous, trafficBefore } = plan;
  let smoke: SmokeResult | undefined;
  /** What a rollback restores: the traffic this run found, unless another run changed it meanwhile. */
  let trafficToRestore = trafficBefore;
  try {
    await retryWhileBusy(log, () =>
      waitForOperation(
        () =>
          client.onlineDeployments.beginCreateOrUpdate(rg, ws, endpoint, deployment, body, {
            updateIntervalInMs: POLL_INTERVAL_MS,
          }),
        {
          log,
          what: plan.inPlace
            ? `Updating deployment ${deployment} in place (strategy replace: it keeps its ${trafficBefore[deployment] ?? 0} % of the traffic)`
            : `Creating deployment ${deployment} (0 % traffic)`,
          timeoutMs: d.timeoutMs,
        },
      ),
    );
    smoke = await gate(run, deployment);
    // canary: the new deployment takes each step's share from the one serving before, gated at
    // each step; blue-green and replace go to 100 % at once. The last step records the release.
    const steps = d.strategy === 'canary' ? d.trafficSteps : [100];
    // Each shift checks, right before its update, that the traffic is still what this run last
    // saw: another run deploying to the endpoint at the same time fails one of the two cleanly.
    let expected = trafficBefore;
    for (const [index, percent] of steps.entries()) {
      const traffic = Object.fromEntries([
        ...Object.keys(trafficBefore).map((name) => [name, 0]),
        ...(previous !== undefined && previous !== deployment ? [[previous, 100 - percent]] : []),
        [deployment, percent],
      ]);
      const last = index === steps.length - 1;
      const seen = expected;
      await setTraffic(
        run,
        traffic,
        percent === 100
          ? `Shifting 100 % of the traffic to ${deployment}`
          : `Canary step ${index + 1}/${steps.length}: ${percent} % to ${deployment}, ${100 - percent} % to ${previous ?? '(none)'}`,
        {
          ...(last ? { tags: (tags) => tagsWithRelease(tags, plan.release) } : {}),
          guard: (now) => assertTrafficUnchanged(endpoint, deployment, seen, now),
        },
      );
      expected = traffic;
      if (!last) smoke = await gate(run, deployment);
    }
  } catch (error) {
    if (error instanceof ConcurrentChangeError) trafficToRestore = error.trafficNow;
    if (plan.inPlace && plan.previousBody) await restoreInPlace(run, deployment, plan.previousBody);
    else await rollBack(run, deployment, trafficToRestore);
    run.context.outputs.set('rolled-back', true);
    run.context.outputs.set('smoke-test', smoke ? smokeOutcome(smoke) : d.smokeTest ? 'failed' : 'skipped');
    throw error;
  }
  if (!d.keepPrevious) {
    for (const old of Object.keys(trafficBefore).filter((name) => name !== deployment)) {
      await removeDeployment(run, old, `Removing previous deployment ${old}`);
    }
  }
  return smoke;
}

/** Runs the smoke test against `deployment` (azureml-model-deployment header); throws when it fails. */
export async function gate(run: DeployRun, deployment: string): Promise<SmokeResult | undefined> {
  const settings = run.deploy.smokeTest;
  if (!settings) return undefined;
  const access = await endpointAccess({
    client: run.connection.client,
    settings: run.connection.settings,
    session: run.connection.session,
    endpoint: run.endpoint,
    log: run.log,
  });
  const result = await runSmokeGate(run.context, settings, {
    scoringUri: access.scoringUri,
    credential: access.credential,
    deployment,
  });
  run.context.outputs.set('smoke-test', smokeOutcome(result));
  if (!result.passed) throw gateFailure(result);
  return result;
}

function setTraffic(
  run: DeployRun,
  traffic: Record<string, number>,
  what: string,
  options: {
    tags?: (current: Record<string, string> | undefined) => Record<string, string>;
    guard?: (current: Record<string, number>) => void;
  } = {},
) {
  return setEndpointTraffic({
    client: run.connection.client,
    settings: run.connection.settings,
    log: run.log,
    endpoint: run.endpoint,
    traffic,
    what,
    timeoutMs: run.deploy.timeoutMs,
    ...options,
  });
}

/**
 * The endpoint's traffic must still be what this run last saw (its own deployment's share aside
 * before the first shift). If another run changed it meanwhile (two deployments to one endpoint at
 * once), shifting would undo that run's release or strand its deployment: fail, leaving its
 * traffic alone (the rollback then only removes this run's new deployment).
 */
export function assertTrafficUnchanged(
  endpoint: string,
  deployment: string,
  expected: Record<string, number>,
  now: Record<string, number>,
): void {
  const names = new Set([...Object.keys(expected), ...Object.keys(now)]);
  const changed = [...names].some(
    (name) => (expected[name] ?? 0) !== (now[name] ?? 0) && !(name === deployment && expected[name] === undefined),
  );
  if (!changed) return;
  const show = (t: Record<string, number>) => JSON.stringify(t);
  throw new ConcurrentChangeError(
    `Another run changed endpoint '${endpoint}''s traffic while this one was deploying (this run expected ${show(expected)}, it is ${show(now)}): this run stops without changing it, and ${deployment} is removed. Deploy to one endpoint one run at a time: give the job a 'concurrency:' group per endpoint.`,
    now,
  );
}

/** The endpoint's traffic changed under this run: the rollback must keep the traffic as it is now. */
export class ConcurrentChangeError extends UserError {
  constructor(
    message: string,
    readonly trafficNow: Record<string, number>,
  ) {
    super(message);
  }
}

/**
 * Prints the logs of a deployment that failed: after a failed in-place update (strategy replace)
 * the inference server's; after a failed new deployment both containers'.
 */
async function printFailedDeploymentLogs(run: DeployRun, deployment: string, failed: 'update' | 'deployment') {
  const { connection, endpoint, log, deploy: d } = run;
  const { client, settings } = connection;
  const { resourceGroup: rg, workspace: ws } = settings;
  if (failed === 'update') {
    await log.group(`Logs of the failed update of ${deployment}`, async () => {
      const logs = await client.onlineDeployments
        .getLogs(rg, ws, endpoint, deployment, {
          containerType: 'InferenceServer',
          tail: d.logLines,
        })
        .catch(() => undefined);
      log.info(inertText(logs?.content ?? '(no logs)'));
    });
    return;
  }
  await log.group(`Logs of the failed deployment ${deployment}`, async () => {
    for (const containerType of ['StorageInitializer', 'InferenceServer'] as const) {
      const logs = await client.onlineDeployments
        .getLogs(rg, ws, endpoint, deployment, { containerType, tail: d.logLines })
        .catch(() => undefined);
      log.info(`--- ${containerType} (last ${d.logLines} lines) ---`);
      log.info(inertText(logs?.content ?? '(no logs: the deployment may not have started)'));
    }
  });
}

/** strategy replace: a failed in-place update is undone by updating the deployment back to what it was. */
async function restoreInPlace(run: DeployRun, deployment: string, before: OnlineDeployment) {
  const { connection, endpoint, log, deploy: d } = run;
  const { client, settings } = connection;
  await printFailedDeploymentLogs(run, deployment, 'update');
  if (!d.rollbackOnFailure) {
    log.warning(`rollback-on-failure is false: deployment ${deployment} is left with the failed update.`);
    return;
  }
  await waitForOperation(
    () =>
      client.onlineDeployments.beginCreateOrUpdate(
        settings.resourceGroup,
        settings.workspace,
        endpoint,
        deployment,
        { location: before.location, sku: before.sku, properties: before.properties },
        { updateIntervalInMs: POLL_INTERVAL_MS },
      ),
    {
      log,
      what: `Updating ${deployment} back to ${before.properties.model ?? 'its previous model'}`,
      timeoutMs: d.timeoutMs,
    },
  );
}

/** Prints the failed deployment's logs, restores the traffic exactly, and removes it unless asked to keep it. */
async function rollBack(run: DeployRun, deployment: string, trafficBefore: Record<string, number>) {
  const { connection, endpoint, log, deploy: d } = run;
  const { client, settings } = connection;
  await printFailedDeploymentLogs(run, deployment, 'deployment');
  if (!d.rollbackOnFailure) {
    log.warning(
      `rollback-on-failure is false: the failed deployment ${deployment} and the endpoint are left as they are.`,
    );
    return;
  }
  const now = await client.onlineEndpoints
    .get(settings.resourceGroup, settings.workspace, endpoint)
    .catch(() => undefined);
  if (now && JSON.stringify(now.properties.traffic ?? {}) !== JSON.stringify(trafficBefore)) {
    await setTraffic(run, { ...trafficBefore, [deployment]: 0 }, 'Restoring the traffic as it was');
  }
  if (d.keepFailed) {
    log.warning(`keep-failed is true: the failed deployment ${deployment} is kept at 0 % traffic for debugging.`);
    return;
  }
  await removeDeployment(run, deployment, `Removing the failed deployment ${deployment}`).catch((error: unknown) => {
    log.warning(
      `The failed deployment ${deployment} could not be removed and is left at 0 % traffic: ${(error as Error).message}`,
    );
  });
}

/**
 * Deletes one deployment of the endpoint. Another operation on the endpoint (a concurrent run's
 * traffic shift) answers 409: that is waited out.
 */
function removeDeployment(run: DeployRun, deployment: string, what: string): Promise<void> {
  const { connection, endpoint, log } = run;
  const { client, settings } = connection;
  return retryWhileBusy(log, () =>
    waitForOperation(
      () =>
        client.onlineDeployments.beginDelete(settings.resourceGroup, settings.workspace, endpoint, deployment, {
          updateIntervalInMs: POLL_INTERVAL_MS,
        }),
      { log, what, timeoutMs: run.deploy.timeoutMs },
    ),
  );
}
