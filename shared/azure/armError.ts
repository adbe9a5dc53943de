// ARM failures as users can act on them: the operation, ARM's code and message, and the request and
// correlation ids support asks for. 403s name the missing action; 404s name what was looked up.

import { isRestError } from '@azure/core-rest-pipeline';
import { UserError } from '../errors.js';

export interface ArmErrorDetails {
  status: number | undefined;
  code: string | undefined;
  message: string;
  requestId: string | undefined;
  correlationId: string | undefined;
}

/** Reads what ARM said from an SDK error (RestError or a failed LRO's error). */
export function armErrorDetails(error: unknown): ArmErrorDetails {
  // isRestError, not instanceof: the SDK loads core-rest-pipeline's CommonJS build, we its ESM one.
  if (isRestError(error)) {
    const body = (error.details ?? {}) as { error?: { code?: string; message?: string } };
    return {
      status: error.statusCode,
      code: body.error?.code ?? error.code,
      message: body.error?.message ?? error.message,
      requestId: error.response?.headers.get('x-ms-request-id') ?? undefined,
      correlationId: error.response?.headers.get('x-ms-correlation-request-id') ?? undefined,
    };
  }
  const plain = error as { code?: string; message?: string; statusCode?: number };
  return {
    status: plain.statusCode,
    code: plain.code,
    message: plain.message ?? String(error),
    requestId: undefined,
    correlationId: undefined,
  };
}

/** True for an ARM 404 (resource or parent missing). */
export function isNotFound(error: unknown): boolean {
  return isRestError(error) && error.statusCode === 404;
}

/** True for an ARM 409 (version exists, resource busy). */
export function isConflict(error: unknown): boolean {
  return isRestError(error) && error.statusCode === 409;
}

/**
 * A one-paragraph UserError for a failed ARM call made while doing `operation` (e.g. "reading the
 * workspace ws-main"). Errors that are not ARM's (bugs) pass through unchanged.
 */
export function explainArmError(error: unknown, operation: string, hint?: string): unknown {
  if (error instanceof UserError || !isRestError(error)) return error;
  const details = armErrorDetails(error);
  const ids = [
    details.requestId && `request id ${details.requestId}`,
    details.correlationId && `correlation id ${details.correlationId}`,
  ]
    .filter(Boolean)
    .join(', ');
  let advice = hint ?? '';
  if (/unique within a region/i.test(details.message ?? '') && !hint) {
    // Azure's validation answer for an online endpoint name another subscription holds in the region.
    advice =
      "Online endpoint names are unique within an Azure region across every subscription, and another one holds this name: choose another 'endpoint' (for example with your workspace or repository in it).";
  }
  if (details.status === 403 && !hint) {
    advice =
      'The identity this step logs in as lacks a role on this scope: see the action named above and grant a role that includes it.';
  }
  const code = details.code ? `${details.code}: ` : '';
  return new UserError(
    `Azure refused ${operation} (HTTP ${details.status ?? '?'}): ${code}${details.message}${advice ? ` ${advice}` : ''}${ids ? ` (${ids})` : ''}`,
    { cause: error },
  );
}
