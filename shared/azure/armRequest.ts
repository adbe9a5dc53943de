// A plain ARM request through the SDK client's pipeline (its login, retries and user agent) for
// bodies the SDK's serializer would damage: @azure/arm-machinelearning 2.1.1 serializes job inputs,
// outputs and AutoML task details with their base types' mappers and drops `uri`, `mode`,
// `primaryMetric`, `limitSettings`... (Azure/azure-sdk-for-js#29328; found by comparing our requests
// with azure-ai-ml's, tests/interop). Errors are RestErrors like the SDK's, so explainArmError reads them.

import { createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import type { MlClient } from './client.js';
import { workspaceResourceId } from './ids.js';
import type { AzureSettings } from './settings.js';

/** The api-version the SDK (and the whole project) speaks. */
export const ARM_API_VERSION = '2022-10-01';
/**
 * Jobs are submitted at the newest stable version whose spec the project pins: serverless jobs
 * (no computeId, or `computes/serverless`), `resources.instanceType` and `queueSettings` need it
 * (azure-ai-ml 1.35 sends them at 2025-01-01-preview, captured against the emulator).
 */
export const JOBS_API_VERSION = '2024-04-01';

export async function armJson(
  client: MlClient,
  settings: AzureSettings,
  method: 'GET' | 'PUT',
  /** Relative to the workspace, e.g. `jobs/train_1`. */
  relative: string,
  body?: unknown,
  apiVersion = ARM_API_VERSION,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = `${settings.cloud.armEndpoint.replace(/\/+$/, '')}${workspaceResourceId(settings, relative)}?api-version=${apiVersion}`;
  const request = createPipelineRequest({
    url,
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  request.headers.set('content-type', 'application/json');
  const response = await client.sendRequest(request);
  let parsed: Record<string, unknown> = {};
  try {
    parsed = response.bodyAsText ? (JSON.parse(response.bodyAsText) as Record<string, unknown>) : {};
  } catch {
    // A non-JSON answer (a proxy's error page): the status says enough.
  }
  if (response.status >= 400) {
    const error = parsed.error as { code?: string; message?: string } | undefined;
    const restError = new RestError(error?.message ?? `HTTP ${response.status}`, {
      code: error?.code,
      statusCode: response.status,
      request,
      response,
    });
    restError.details = parsed;
    throw restError;
  }
  return { status: response.status, body: parsed };
}
