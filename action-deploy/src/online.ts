// A release of a registered model to an online endpoint, blue/green: the steps in their order
// (model, target, endpoint, rollout, report); each lives in its own module beside this one.
// The new deployment is created at 0 % traffic, gated by the smoke test through the
// azureml-model-deployment header, then given 100 %; on any failure traffic stays exactly as it
// was, the logs are printed and the failed deployment is removed (rollout.ts). DESIGN.md
// "Decisions" fixes naming, no-op reruns and auth modes.

import type { ActionContext } from '../../shared/action/context.js';
import { endpointAccess } from '../../shared/azure/endpoints.js';
import { connectToWorkspace } from '../../shared/azure/connect.js';
import { workspaceResourceId } from '../../shared/azure/ids.js';
import { UserError } from '../../shared/errors.js';
import type { SmokeResult } from '../../shared/smoke/index.js';
import { chooseTarget, deploymentBody, deploymentNameFor } from './deployment.js';
import { azureAuthMode, prepareEndpoint, readEndpoint } from './endpoint.js';
import { resolveRequestedModel } from './model.js';
import { pullRequestWarning } from './releases.js';
import { releaseSummary, setDeployOutputs, studioUrl } from './report.js';
import { gate, rollOut } from './rollout.js';
import { deployRun, ML, type DeployRequest } from './run.js';

export async function deployToEndpoint(context: ActionContext, request: DeployRequest): Promise<void> {
  const { deploy: d, endpoint } = request;
  if (d.model.kind === 'local')
    throw new UserError("A local model path can only be served with target 'local'.", { input: 'model' });
  const { log } = context;

  const connection = await connectToWorkspace(context, request.common.azure, [
    { action: `${ML}/onlineEndpoints/write`, purpose: `create or update endpoint ${endpoint}` },
    { action: `${ML}/onlineEndpoints/deployments/write`, purpose: 'create the new deployment' },
    { action: `${ML}/onlineEndpoints/deployments/delete`, purpose: 'remove the previous or a failed deployment' },
  ]);
  const run = deployRun(context, connection, request);
  const { client, settings, workspace } = connection;
  const { resourceGroup: rg, workspace: ws } = settings;
  const location = workspace.location ?? 'eastus';
  const existing = await readEndpoint(run);
  const prWarning = pullRequestWarning(context.inputs.env('GITHUB_EVENT_NAME'), endpoint, existing?.tags);
  if (prWarning) log.warning(prWarning);
  const trafficBefore: Record<string, number> = { ...(existing?.properties.traffic ?? {}) };
  // The deployment serving most of the traffic: the one a release replaces (or updates in place).
  const previous = Object.entries(trafficBefore).sort((a, b) => b[1] - a[1])[0]?.[0];
  const model = await resolveRequestedModel(run, existing);
  const target = await chooseTarget(run, model);
  const deploymentName = deploymentNameFor(run, model, previous);
  log.info(
    `Deploying ${model.name}:${model.version} to ${endpoint}/${deploymentName} (target ${target.name}: ${target.reason}; strategy ${d.strategy === 'canary' ? `canary ${d.trafficSteps.join('/')} %` : d.strategy}).`,
  );
  const notes = await prepareEndpoint(run, existing, target, location);

  const previousBody =
    previous === undefined
      ? undefined
      : await client.onlineDeployments.get(rg, ws, endpoint, previous).catch(() => undefined);
  const isNoOp =
    previous === deploymentName && trafficBefore[deploymentName] === 100 && previousBody?.properties.model === model.id;
  let smoke: SmokeResult | undefined;
  if (isNoOp) {
    log.info(
      `${deploymentName} already serves ${model.name}:${model.version} with 100 % of the traffic: nothing to deploy.`,
    );
    smoke = await gate(run, deploymentName);
  } else {
    const body = await deploymentBody(run, model, target.name, location);
    smoke = await rollOut(
      run,
      {
        deployment: deploymentName,
        previous,
        previousBody,
        inPlace: d.strategy === 'replace' && previous === deploymentName && previousBody !== undefined,
        trafficBefore,
        release: {
          deployment: deploymentName,
          model: `${model.name}:${model.version}`,
          commit: (context.inputs.env('GITHUB_SHA') ?? '').slice(0, 7),
          time: new Date().toISOString(),
        },
      },
      body,
    );
  }

  const final = await client.onlineEndpoints.get(rg, ws, endpoint);
  const access =
    d.exposeKey || d.smokeTest
      ? await endpointAccess({ client, settings, session: connection.session, endpoint, log })
      : undefined;
  setDeployOutputs(context, {
    endpoint,
    deployment: deploymentName,
    scoringUri: final.properties.scoringUri ?? '',
    target: target.name,
    authMode: d.authMode,
    traffic: final.properties.traffic ?? {},
    smoke,
    // masked in endpointAccess
    ...(d.exposeKey && access ? { key: access.credential.value } : {}),
    azure: {
      openapiUri: final.properties.swaggerUri ?? '',
      url: studioUrl(settings.cloud.studioUrl, workspaceResourceId(settings, `onlineEndpoints/${endpoint}`)),
      previousDeployment: previous ?? '',
    },
  });
  if (!smoke) notes.push('No smoke test ran (smoke-test-payload is not set): this release was not gated.');
  for (const note of notes) log.warning(note);
  context.summary.append(
    releaseSummary({
      endpoint,
      deploymentName,
      model,
      target,
      authMode: azureAuthMode(run),
      trafficBefore,
      trafficAfter: final.properties.traffic ?? {},
      smoke,
      notes,
      noOp: isNoOp,
    }),
  );
}
