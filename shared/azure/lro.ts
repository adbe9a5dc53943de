// The one way the actions wait for Azure's long-running operations (endpoints, deployments,
// computes): progress lines with elapsed time, a timeout that names what did not finish, and the
// service's own error when provisioning fails.

import { UserError } from '../errors.js';
import { formatDuration } from '../inputs/duration.js';
import type { Logger } from '../logger.js';
import { explainArmError, isConflict } from './armError.js';

/** What the SDK's begin* calls return (core-lro's PollerLike), as far as waiting needs. */
export interface PollerLike<T> {
  pollUntilDone(options?: { abortSignal?: AbortSignal }): Promise<T>;
  /** One status request (core-lro); throws when the operation ended Failed or Canceled. */
  poll?(options?: { abortSignal?: AbortSignal }): Promise<void>;
  isDone?(): boolean;
}

/** Poll interval for begin* calls: Azure's Retry-After wins when it sends one. */
export const POLL_INTERVAL_MS = 5000;
/**
 * waitForOperation polls by itself, quickly first, then every POLL_INTERVAL_MS: many operations
 * (traffic updates, compute scaling, schedules, cancels) end within a second or two, and a fixed
 * 5 s interval made each of them cost 5 s. The first poll after begin*'s own is immediate, as the
 * SDK's pollUntilDone does (an operation already done costs no wait). A deployment that takes
 * minutes costs a few extra polls.
 */
const POLL_BACKOFF_MS = [0, 500, 1000, 2000, 3000, POLL_INTERVAL_MS];

export async function waitForOperation<T>(
  start: () => Promise<PollerLike<T>>,
  options: { log: Logger; what: string; timeoutMs: number; progressEveryMs?: number },
): Promise<T> {
  const { log, what, timeoutMs } = options;
  const started = Date.now();
  const timeout = AbortSignal.timeout(timeoutMs);
  let poller: PollerLike<T>;
  try {
    poller = await start();
  } catch (error) {
    // The SDK's begin* polls once: an operation that failed at once fails here.
    throw operationFailure(error, what, started);
  }
  const progress = setInterval(() => {
    log.info(`${what}: still running, ${formatDuration(Date.now() - started)} so far`);
  }, options.progressEveryMs ?? 15_000);
  try {
    if (poller.poll && poller.isDone) {
      for (let attempt = 0; !poller.isDone(); attempt++) {
        await delay(POLL_BACKOFF_MS[Math.min(attempt, POLL_BACKOFF_MS.length - 1)] ?? POLL_INTERVAL_MS, timeout);
        await poller.poll({ abortSignal: timeout });
      }
    }
    // Done (or a poller without poll/isDone): answers the result, or throws the operation's error.
    const result = await poller.pollUntilDone({ abortSignal: timeout });
    log.info(`${what}: done in ${formatDuration(Date.now() - started)}.`);
    return result;
  } catch (error) {
    if (timeout.aborted) {
      throw new UserError(
        `${what} did not finish within ${formatDuration(timeoutMs)}; raise 'timeout' or check the resource in Azure.`,
      );
    }
    throw operationFailure(error, what, started);
  } finally {
    clearInterval(progress);
  }
}

/** ARM's error explained, or an operation that ended Failed (core-lro's plain Error) as a user error. */
function operationFailure(error: unknown, what: string, started: number): unknown {
  const explained = explainArmError(error, what);
  if (explained instanceof UserError) return explained;
  const bug = error instanceof TypeError || error instanceof ReferenceError || error instanceof RangeError;
  if (!(error instanceof Error) || bug) return explained;
  // A provisioning that ended in Failed: the SDK's error carries the service's message.
  return new UserError(`${what} failed after ${formatDuration(Date.now() - started)}: ${error.message}`, {
    cause: error,
  });
}

/**
 * While an online endpoint or one of its deployments is in a non-terminal state, ARM answers 409 to
 * other changes (DESIGN.md): wait and try again, saying so, instead of failing the step.
 */
export async function retryWhileBusy<T>(
  log: Logger,
  work: () => Promise<T>,
  options: { attempts?: number; waitMs?: number } = {},
): Promise<T> {
  const attempts = options.attempts ?? 60;
  const waitMs = options.waitMs ?? 10_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const conflict = isConflict(error) || isConflict((error as { cause?: unknown }).cause);
      if (!conflict || attempt >= attempts) throw error;
      log.info(`The endpoint is busy with another operation; waiting ${formatDuration(waitMs)} before trying again.`);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}

/** Waits `ms`, or rejects as soon as `signal` aborts (the step's timeout). */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
