// Following a submitted job to its end: one line per state change of the job and of each pipeline
// step, with elapsed time, and a heartbeat when nothing changes for a while (never a line per
// poll). On failure, the failing step's error and the tail of its log; on timeout, the job is
// cancelled (unless 'cancel-on-timeout' is false) and the step fails saying so.

import type { ActionContext } from '../../shared/action/context.js';
import { explainArmError } from '../../shared/azure/armError.js';
import { armJson, JOBS_API_VERSION } from '../../shared/azure/armRequest.js';
import type { WorkspaceConnection } from '../../shared/azure/connect.js';
import { POLL_INTERVAL_MS, waitForOperation } from '../../shared/azure/lro.js';
import { UserError } from '../../shared/errors.js';
import { inertLine, inertValue, runnerLines } from '../../shared/github/untrustedText.js';
import { formatDuration } from '../../shared/inputs/duration.js';
import type { RunHistory, RunInfo } from './runHistory.js';

/** A job ends in one of these (the spec's JobStatus); every other state, NotResponding and Paused included, passes. */
export const TERMINAL_STATES = ['Completed', 'Failed', 'Canceled'];
/** States a running job can be in for a while and leave again: waited out, with a line that says why. */
const STALLED_STATES: Record<string, string> = {
  NotResponding:
    'Azure has lost contact with its node for now; waiting for it to answer again (the timeout still applies)',
  Paused:
    'paused (for example a low-priority node was taken back); waiting for it to resume (the timeout still applies)',
};
/** Polls start quick (short jobs end quick) and back off while nothing changes. */
const FIRST_POLL_MS = 500;
const MAX_POLL_MS = 15_000;
const HEARTBEAT_MS = 60_000;
const LOG_TAIL_LINES = 30;

export interface StepOutcome {
  name: string;
  status: string;
  durationMs: number | undefined;
  compute: string | undefined;
}

export interface JobOutcome {
  status: string;
  durationMs: number;
  steps: StepOutcome[];
  outputs: Record<string, string>;
  metrics: Record<string, number>;
  /** Set when the job did not complete: the step fails with it after the summary is written. */
  failure: UserError | undefined;
}

export async function followJob(options: {
  context: ActionContext;
  connection: WorkspaceConnection;
  history: RunHistory;
  runId: string;
  isPipeline: boolean;
  timeoutMs: number;
  cancelOnTimeout: boolean;
  streamLogs: boolean;
}): Promise<JobOutcome> {
  const { context, connection, history, runId, isPipeline } = options;
  const { log } = context;
  const { client, settings } = connection;
  const started = Date.now();
  const elapsed = () => formatDuration(Date.now() - started);
  const stepStates = new Map<string, string>();
  const logsSeen: LogsSeen = { lines: new Map(), unreadable: new Set() };
  let status = '';
  let children: RunInfo[] = [];
  let pollMs = FIRST_POLL_MS;
  let lastLine = Date.now();
  const say = (line: string) => {
    log.info(`[${elapsed()}] ${line}`);
    lastLine = Date.now();
  };

  for (;;) {
    let changed = false;
    const job = await readJob(client, settings, runId).catch((error: unknown) => {
      throw explainArmError(error, `reading job ${runId}`);
    });
    const now = String((job.properties as { status?: string }).status ?? 'Unknown');
    if (now !== status) {
      say(`job ${runId}: ${now}${STALLED_STATES[now] ? `: ${STALLED_STATES[now]}` : ''}`);
      status = now;
      changed = true;
    }
    if (isPipeline) {
      children = await history.children(runId);
      for (const child of children) {
        if (stepStates.get(child.displayName) !== child.status) {
          stepStates.set(child.displayName, child.status);
          if (child.status !== 'NotStarted' || changed)
            say(
              `step ${inertValue(child.displayName)}: ${child.status}${child.target && child.status === 'Running' ? ` on ${inertValue(child.target)}` : ''}`,
            );
          changed = true;
        }
      }
    }
    if (options.streamLogs) {
      const runs = isPipeline ? children.filter((c) => c.status !== 'NotStarted') : [{ runId, displayName: runId }];
      for (const run of runs) await printNewLogLines(context, history, run.runId, run.displayName, logsSeen);
    }
    if (TERMINAL_STATES.includes(status)) break;
    if (Date.now() - started >= options.timeoutMs) {
      return timedOut(options, status, started, children);
    }
    if (Date.now() - lastLine >= HEARTBEAT_MS) say(`job ${runId}: still ${status}`);
    pollMs = changed ? FIRST_POLL_MS : Math.min(MAX_POLL_MS, Math.round(pollMs * 1.5));
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(pollMs, Math.max(0, options.timeoutMs - (Date.now() - started)))),
    );
  }

  const job = await readJob(client, settings, runId);
  const jobOutputs = (job.properties as { outputs?: Record<string, { uri?: string | null }> }).outputs ?? {};
  const outputs = Object.fromEntries(Object.entries(jobOutputs).flatMap(([name, o]) => (o.uri ? [[name, o.uri]] : [])));
  const metrics = await collectMetrics(history, runId, children);
  const outcome: JobOutcome = {
    status,
    durationMs: Date.now() - started,
    steps: children.map(stepOutcome),
    outputs,
    metrics,
    failure: undefined,
  };
  if (status === 'Completed') {
    say(`job ${runId} completed.`);
    return outcome;
  }
  outcome.failure = await explainFailure(context, history, runId, status, children, logsSeen);
  return outcome;
}

function stepOutcome(child: RunInfo): StepOutcome {
  const start = child.startTimeUtc ? Date.parse(child.startTimeUtc) : NaN;
  const end = child.endTimeUtc ? Date.parse(child.endTimeUtc) : NaN;
  return {
    name: child.displayName,
    status: child.status,
    durationMs: Number.isFinite(start) && Number.isFinite(end) ? end - start : undefined,
    compute: child.target,
  };
}

async function collectMetrics(
  history: RunHistory,
  runId: string,
  children: RunInfo[],
): Promise<Record<string, number>> {
  const metrics: Record<string, number> = { ...(await history.metrics(runId).catch(() => ({}))) };
  for (const child of children) {
    const own = await history.metrics(child.runId).catch(() => ({}));
    for (const [key, value] of Object.entries(own)) metrics[`${child.displayName}.${key}`] = value;
  }
  return metrics;
}

/** What the step has shown of the runs' logs: lines printed per run, and runs whose log could not be read. */
interface LogsSeen {
  lines: Map<string, number>;
  unreadable: Set<string>;
}

/**
 * A run's log, or '' when it cannot be read: then a warning says why (once per run), so a job that
 * prints nothing is never mistaken for one whose log was lost.
 */
async function readLog(
  context: ActionContext,
  history: RunHistory,
  runId: string,
  label: string,
  seen: LogsSeen,
): Promise<string> {
  try {
    return await history.log(runId);
  } catch (error) {
    if (!seen.unreadable.has(runId)) {
      seen.unreadable.add(runId);
      context.log.warning(
        `The log of ${inertValue(label)} could not be read: ${inertValue((error as Error).message)}. The job is followed without it.`,
      );
    }
    return '';
  }
}

async function printNewLogLines(
  context: ActionContext,
  history: RunHistory,
  runId: string,
  label: string,
  seen: LogsSeen,
): Promise<void> {
  const text = await readLog(context, history, runId, label, seen);
  // Split as the runner splits (a tqdm `\r` starts a line too), each line inert (`##[` mid-line).
  const lines = runnerLines(text).filter((l) => l !== '');
  const already = seen.lines.get(runId) ?? 0;
  for (const line of lines.slice(already)) context.log.info(`  ${inertValue(label)} | ${inertLine(line)}`);
  seen.lines.set(runId, lines.length);
}

async function explainFailure(
  context: ActionContext,
  history: RunHistory,
  runId: string,
  status: string,
  children: RunInfo[],
  seen: LogsSeen,
): Promise<UserError> {
  const failedSteps = children.filter((c) => c.status === 'Failed');
  const failed = failedSteps.length > 0 ? failedSteps : [await history.run(runId)];
  const reasons: string[] = [];
  for (const run of failed) {
    const label = failedSteps.length > 0 ? `step '${run.displayName}'` : `job ${runId}`;
    const error = run.error ? `${run.error.code}: ${run.error.message}` : `ended ${run.status}`;
    reasons.push(`${label} failed: ${error}`);
    context.log.error(`The ${label} failed: ${error}`);
    const log = await readLog(context, history, run.runId, label, seen);
    const lines = runnerLines(log).filter((l) => l !== '');
    if (lines.length > 0 && (seen.lines.get(run.runId) ?? 0) < lines.length) {
      const tail = lines.slice(-LOG_TAIL_LINES);
      await context.log.group(`Last ${tail.length} lines of the log of ${label}`, () => {
        // A line of the job's output must not run as a workflow command (`::...`, `##[...]`).
        for (const line of tail) context.log.info(`  | ${inertLine(line)}`);
        return Promise.resolve();
      });
    }
  }
  return new UserError(`Job ${runId} ended ${status}: ${reasons.join('; ')}.`);
}

async function timedOut(
  options: Parameters<typeof followJob>[0],
  status: string,
  started: number,
  children: RunInfo[],
): Promise<JobOutcome> {
  const { context, connection, runId } = options;
  const { client, settings } = connection;
  const limit = formatDuration(options.timeoutMs);
  let message: string;
  if (options.cancelOnTimeout) {
    context.log.warning(`Job ${runId} is still ${status} after ${limit} ('timeout'): cancelling it.`);
    await waitForOperation(
      () =>
        client.jobs.beginCancel(settings.resourceGroup, settings.workspace, runId, {
          updateIntervalInMs: POLL_INTERVAL_MS,
        }),
      { log: context.log, what: `Cancelling job ${runId}`, timeoutMs: 5 * 60_000 },
    );
    message = `Job ${runId} did not finish within ${limit} ('timeout') and was cancelled.`;
  } else {
    message = `Job ${runId} did not finish within ${limit} ('timeout'); it keeps running ('cancel-on-timeout: false').`;
  }
  return {
    status: options.cancelOnTimeout ? 'Canceled' : status,
    durationMs: Date.now() - started,
    steps: children.map(stepOutcome),
    outputs: {},
    metrics: {},
    failure: new UserError(message, { input: 'timeout' }),
  };
}

/**
 * A job as Azure answers at the api-version it was submitted at: the SDK's 2022-10-01 has no Spark
 * jobs (its JobBase discriminator lists AutoML, Command, Pipeline and Sweep only).
 */
export async function readJob(
  client: WorkspaceConnection['client'],
  settings: WorkspaceConnection['settings'],
  runId: string,
): Promise<{ properties: Record<string, unknown> }> {
  const { body } = await armJson(
    client,
    settings,
    'GET',
    `jobs/${encodeURIComponent(runId)}`,
    undefined,
    JOBS_API_VERSION,
  );
  return { properties: (body.properties as Record<string, unknown> | undefined) ?? {} };
}
