// Fault injection (admin POST /faults): rules matched on method + path, optionally a limited number
// of times, that make the emulator misbehave the way Azure sometimes does.
import { randomUUID } from 'node:crypto';
import { ArmError, isRecord } from './http.js';

export interface FaultRule {
  id: string;
  /** HTTP method to match (any when absent). */
  method?: string;
  /**
   * Path pattern, case-insensitive: a glob where `*` matches within one path segment and `**` across
   * segments (e.g. `/subscriptions/** /onlineEndpoints/*`), or a regular expression when it starts with `^`.
   */
  path: string;
  /** How many matching requests the rule affects; unlimited when absent. */
  count?: number;
  /** Requests affected so far. */
  hits: number;
  /** Answer with this status instead of handling the request (429, 500, 503...). */
  status?: number;
  /** Retry-After header (seconds) sent with `status`. */
  retryAfter?: number;
  /** Error code and message for `status` (defaults per status). */
  code?: string;
  message?: string;
  /** Drop the connection without an answer. */
  reset?: boolean;
  /** Wait this long before handling (or before failing). */
  delayMs?: number;
  /** The long-running operation started by the matched request ends in Failed with this error. */
  /** For a pipeline job, `step` names the step that fails (default: the last). */
  lroFailed?: { code: string; message: string; step?: string };
  /** Make the long-running operation started by the matched request take this long in total. */
  lroDurationMs?: number;
  /** The deployment created/updated by the matched request crash-loops with these log lines. */
  crashLoop?: { logs: string[] };
  /**
   * The job submitted by the matched request stops answering (NotResponding) or is paused (Paused)
   * for `ms` once it runs, then carries on: real jobs do both for a while (a lost node, a low-priority
   * preemption) and are not finished.
   */
  jobStall?: { status: 'NotResponding' | 'Paused'; ms: number };
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else re += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'i');
}

export function ruleMatches(rule: FaultRule, method: string, path: string): boolean {
  if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) return false;
  const re = rule.path.startsWith('^') ? new RegExp(rule.path, 'i') : globToRegExp(rule.path);
  return re.test(path);
}

/** Validates and normalises a rule from the admin API. */
export function parseFaultRule(input: unknown): FaultRule {
  if (!isRecord(input)) throw new ArmError(400, 'InvalidFault', 'A fault rule must be a JSON object.');
  if (typeof input.path !== 'string' || input.path === '') {
    throw new ArmError(400, 'InvalidFault', "A fault rule needs 'path' (glob, or regular expression starting with ^).");
  }
  const rule: FaultRule = { id: randomUUID(), path: input.path, hits: 0 };
  if (typeof input.method === 'string') rule.method = input.method;
  if (typeof input.count === 'number') rule.count = input.count;
  if (typeof input.status === 'number') rule.status = input.status;
  if (typeof input.retryAfter === 'number') rule.retryAfter = input.retryAfter;
  if (typeof input.code === 'string') rule.code = input.code;
  if (typeof input.message === 'string') rule.message = input.message;
  if (input.reset === true) rule.reset = true;
  if (typeof input.delayMs === 'number') rule.delayMs = input.delayMs;
  if (typeof input.lroDurationMs === 'number') rule.lroDurationMs = input.lroDurationMs;
  if (isRecord(input.lroFailed)) {
    rule.lroFailed = {
      code: typeof input.lroFailed.code === 'string' ? input.lroFailed.code : 'InternalServerError',
      message: typeof input.lroFailed.message === 'string' ? input.lroFailed.message : 'The operation failed.',
      ...(typeof input.lroFailed.step === 'string' ? { step: input.lroFailed.step } : {}),
    };
  }
  if (isRecord(input.jobStall)) {
    const status = input.jobStall.status === 'Paused' ? 'Paused' : 'NotResponding';
    rule.jobStall = { status, ms: typeof input.jobStall.ms === 'number' ? input.jobStall.ms : 1000 };
  }
  if (isRecord(input.crashLoop)) {
    const logs = Array.isArray(input.crashLoop.logs) ? input.crashLoop.logs.map(String) : [];
    rule.crashLoop = { logs };
  }
  const effects = [
    rule.status,
    rule.reset,
    rule.delayMs,
    rule.lroFailed,
    rule.lroDurationMs,
    rule.crashLoop,
    rule.jobStall,
  ];
  if (effects.every((e) => e === undefined)) {
    throw new ArmError(
      400,
      'InvalidFault',
      'A fault rule needs an effect: status (+retryAfter), reset, delayMs, lroFailed, lroDurationMs, crashLoop or jobStall.',
    );
  }
  return rule;
}

const defaults: Record<number, { code: string; message: string }> = {
  429: { code: 'TooManyRequests', message: 'The request was throttled. Retry after the time given in Retry-After.' },
  500: { code: 'InternalServerError', message: 'Encountered internal server error. Please try again.' },
  502: { code: 'BadGateway', message: 'The gateway did not receive a response in time.' },
  503: { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable. Please try again later.' },
};

export function faultError(rule: FaultRule): ArmError {
  const status = rule.status ?? 500;
  const d = defaults[status] ?? { code: 'InjectedFault', message: 'Fault injected by the emulator.' };
  const headers: Record<string, string> = {};
  if (rule.retryAfter !== undefined) headers['retry-after'] = String(rule.retryAfter);
  return new ArmError(status, rule.code ?? d.code, rule.message ?? d.message, [], headers);
}

/**
 * Takes the rules matching this request (counting them as used). Status/reset/delay rules act at the
 * front door; LRO and crash-loop rules are returned for the handler that starts the operation.
 */
export function takeFaults(rules: FaultRule[], method: string, path: string): FaultRule[] {
  const hits: FaultRule[] = [];
  for (const rule of rules) {
    if (rule.count !== undefined && rule.hits >= rule.count) continue;
    if (!ruleMatches(rule, method, path)) continue;
    rule.hits += 1;
    hits.push(rule);
  }
  return hits;
}
