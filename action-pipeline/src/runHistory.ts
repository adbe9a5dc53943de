// Job progress, logs and metrics are not in the ARM API (DESIGN.md): like azure-ai-ml's
// jobs.stream, read them from the workspace's run-history service (found through the workspace's
// discoveryUrl) and its MLflow tracking server (mlFlowTrackingUri), with the same login. Those
// URLs come from responses: the token goes only over https to the cloud's Azure ML data plane
// (shared/azure/dataPlane.ts), and log files (SAS URLs in Azure) are fetched with no token.

import type { TokenCredential } from '@azure/identity';
import type { Cloud } from '../../shared/azure/cloud.js';
import { trustedDataPlaneUrl } from '../../shared/azure/dataPlane.js';
import { UserError } from '../../shared/errors.js';

const ARM_SCOPE_SUFFIX = '/.default';

export interface RunInfo {
  runId: string;
  displayName: string;
  status: string;
  startTimeUtc: string | undefined;
  endTimeUtc: string | undefined;
  target: string | undefined;
  error: { code: string; message: string } | undefined;
}

export interface RunHistory {
  children(runId: string): Promise<RunInfo[]>;
  run(runId: string): Promise<RunInfo>;
  /** The run's log text (its user log, std_log.txt); '' when it has none yet. */
  log(runId: string): Promise<string>;
  /** Latest value of each metric of a run, from MLflow. */
  metrics(runId: string): Promise<Record<string, number>>;
}

export async function openRunHistory(options: {
  credential: TokenCredential;
  cloud: Cloud;
  armScope: string;
  workspaceId: string;
  discoveryUrl: string | undefined;
  mlflowTrackingUri: string | undefined;
  experiment: string;
}): Promise<RunHistory> {
  const { credential, workspaceId, experiment } = options;
  const scope = options.armScope.endsWith(ARM_SCOPE_SUFFIX)
    ? options.armScope
    : `${options.armScope}${ARM_SCOPE_SUFFIX}`;
  const authorization = async () => {
    const token = await credential.getToken(scope);
    if (!token) throw new UserError('Could not get a token for the workspace run history.');
    return `Bearer ${token.token}`;
  };
  /** GET with the token, after checking where it goes (every call: the URLs come from answers). */
  const get = async (url: string, as: 'json' | 'text' = 'json', what = 'A run-history URL'): Promise<unknown> => {
    const response = await fetch(trustedDataPlaneUrl(options.cloud, url, what), {
      headers: { authorization: await authorization() },
    });
    return read(response, url, as);
  };
  const read = async (response: Response, url: string, as: 'json' | 'text'): Promise<unknown> => {
    if (!response.ok) {
      const body = await response.text().catch(() => '');
      throw new UserError(
        `Run history answered ${response.status} to GET ${new URL(url).pathname}: ${body.slice(0, 300)}`,
      );
    }
    return as === 'json' ? response.json() : response.text();
  };
  if (!options.discoveryUrl) throw new UserError('The workspace has no discoveryUrl: cannot follow job progress.');
  const discovery = (await get(options.discoveryUrl, 'json', "The workspace's discoveryUrl")) as {
    history?: string;
  };
  const historyBase = trustedDataPlaneUrl(
    options.cloud,
    (discovery.history ?? new URL(options.discoveryUrl).origin).replace(/\/+$/, ''),
    "The run-history URL in the workspace's discovery answer",
  );
  const runsUrl = `${historyBase}/history/v1.0${workspaceId}/experiments/${encodeURIComponent(experiment)}/runs`;
  const mlflowBase = options.mlflowTrackingUri
    ? `${options.mlflowTrackingUri.replace(/^azureml:\/\//, 'https://').replace(/\/+$/, '')}/api/2.0/mlflow`
    : undefined;
  if (mlflowBase) trustedDataPlaneUrl(options.cloud, mlflowBase, "The workspace's mlFlowTrackingUri");

  const toInfo = (r: Record<string, unknown>): RunInfo => {
    const error = r.error as { error?: { code?: string; message?: string } } | null | undefined;
    return {
      runId: String(r.runId),
      displayName: String(r.displayName ?? r.runId),
      status: String(r.status ?? 'NotStarted'),
      startTimeUtc: (r.startTimeUtc as string | null) ?? undefined,
      endTimeUtc: (r.endTimeUtc as string | null) ?? undefined,
      target: (r.target as string | null) ?? undefined,
      error: error?.error ? { code: error.error.code ?? 'Error', message: error.error.message ?? '' } : undefined,
    };
  };
  return {
    async run(runId) {
      return toInfo((await get(`${runsUrl}/${encodeURIComponent(runId)}`)) as Record<string, unknown>);
    },
    async children(runId) {
      const page = (await get(`${runsUrl}/${encodeURIComponent(runId)}/children`)) as {
        value?: Record<string, unknown>[];
      };
      return (page.value ?? []).map(toInfo);
    },
    async log(runId) {
      const details = (await get(`${runsUrl}/${encodeURIComponent(runId)}/details`)) as {
        logFiles?: Record<string, string>;
      };
      const files = Object.entries(details.logFiles ?? {});
      const user = files.find(([name]) => /std_log|70_driver_log/.test(name)) ?? files[0];
      if (!user) return '';
      // Log files are SAS URLs to storage: the signature is the credential, a bearer token never goes there.
      if (!/^https:\/\//i.test(user[1]))
        throw new UserError(`A log file URL of run ${runId} is not https: not fetched.`);
      return (await read(await fetch(user[1]), user[1], 'text')) as string;
    },
    async metrics(runId) {
      if (!mlflowBase) return {};
      const answer = (await get(`${mlflowBase}/runs/get?run_id=${encodeURIComponent(runId)}`)) as {
        run?: { data?: { metrics?: { key: string; value: number }[] } };
      };
      return Object.fromEntries((answer.run?.data?.metrics ?? []).map((m) => [m.key, m.value]));
    },
  };
}
