// What a deployment reports: the step's outputs (one block for Azure endpoints and target local,
// so both keep the same names and formats) and the job summary of a release to an endpoint.

import type { ActionContext } from '../../shared/action/context.js';
import { escapeCell } from '../../shared/action/plan.js';
import type { SmokeResult } from '../../shared/smoke/index.js';
import type { DeployTarget } from './deployment.js';
import type { ResolvedModel } from './model.js';

export interface DeployOutputs {
  endpoint: string;
  deployment: string;
  /** '' when nothing serves after the step (target local stopped after its smoke test). */
  scoringUri: string;
  target: string;
  authMode: string;
  traffic: Record<string, number>;
  smoke: SmokeResult | undefined;
  /** The credential, when the step exposes it (already masked by whoever obtained it). */
  key?: string;
  /** Only an Azure endpoint has these. */
  azure?: { openapiUri: string; url: string; previousDeployment: string };
}

/** The smoke-test output's value for a gate that ran. */
export function smokeOutcome(smoke: SmokeResult): 'passed' | 'failed' {
  return smoke.passed ? 'passed' : 'failed';
}

/** The summary's smoke-test cell. */
export function smokeCell(smoke: SmokeResult | undefined): string {
  return smoke
    ? smoke.passed
      ? `passed (p95 ${smoke.latency.p95?.toFixed(1) ?? '?'} ms)`
      : 'failed'
    : 'skipped: not gated';
}

/** Sets the outputs of a successful deployment (action.yml lists them). */
export function setDeployOutputs(context: ActionContext, o: DeployOutputs): void {
  const outputs: Record<string, string | number | boolean> = {
    'endpoint-name': o.endpoint,
    'deployment-name': o.deployment,
    'scoring-uri': o.scoringUri,
    ...(o.azure ? { 'openapi-uri': o.azure.openapiUri, url: o.azure.url } : {}),
    target: o.target,
    'auth-mode': o.authMode,
    ...(o.azure ? { 'previous-deployment': o.azure.previousDeployment } : {}),
    traffic: JSON.stringify(o.traffic),
    'smoke-test': o.smoke ? smokeOutcome(o.smoke) : 'skipped',
    'p95-ms': o.smoke?.latency.p95 !== undefined ? o.smoke.latency.p95.toFixed(1) : '',
    'rolled-back': false,
  };
  if (o.key !== undefined) outputs.key = o.key;
  for (const [name, value] of Object.entries(outputs)) context.outputs.set(name, value);
}

/** The link to the endpoint's page in Azure ML studio ('' for a cloud without a studio). */
export function studioUrl(studio: string | undefined, armId: string): string {
  return studio
    ? `${studio}/endpoints/realtime${armId.replace(/^.*\/onlineEndpoints\//, '/')}/detail?wsid=${armId.replace(/\/onlineEndpoints\/.*$/, '')}`
    : '';
}

export function releaseSummary(r: {
  endpoint: string;
  deploymentName: string;
  model: ResolvedModel;
  target: DeployTarget;
  authMode: string;
  trafficBefore: Record<string, number>;
  trafficAfter: Record<string, number>;
  smoke: SmokeResult | undefined;
  notes: string[];
  noOp: boolean;
}): string {
  const traffic = (t: Record<string, number>) =>
    Object.entries(t)
      .map(([k, v]) => `${k} ${v} %`)
      .join(', ') || '(none)';
  const rows: Array<[string, string]> = [
    ['endpoint', r.endpoint],
    ['deployment', `${r.deploymentName}${r.noOp ? ' (already serving this model: no change)' : ''}`],
    ['model', `${r.model.name}:${r.model.version} (${r.model.modelType})`],
    ['target', `${r.target.name}: ${r.target.reason}`],
    ['auth mode', r.authMode],
    ['traffic before', traffic(r.trafficBefore)],
    ['traffic after', traffic(r.trafficAfter)],
    ['smoke test', smokeCell(r.smoke)],
  ];
  return [
    `### Deployed ${r.model.name}:${r.model.version} to ${r.endpoint}`,
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${escapeCell(v)} |`),
    '',
    ...r.notes.map((n) => `> ${n}`),
    '',
  ].join('\n');
}
