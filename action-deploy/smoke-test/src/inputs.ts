// The smoke-test sub-action's inputs: what to call (an endpoint, found through Azure, or a scoring
// URI with its key) and the shared smoke test settings (what to send, what must hold, how hard).

import { NAME_RULES } from '../../../shared/azure/names.js';
import { readCommonInputs, type CommonSettings } from '../../../shared/azure/settings.js';
import { InputError } from '../../../shared/errors.js';
import type { InputReader } from '../../../shared/inputs/reader.js';
import { readSmokeTestSettings, type SmokeTestSettings } from '../../../shared/inputs/smokeTest.js';

export type SmokeTestTarget =
  /** Scoring URI and credentials fetched from Azure by the endpoint's auth mode. */
  | { kind: 'endpoint'; common: CommonSettings; endpoint: string; deployment: string | undefined }
  | { kind: 'uri'; scoringUri: string; key: string | undefined; deployment: string | undefined; dryRun: boolean };

export interface SmokeTestInputs {
  target: SmokeTestTarget;
  settings: SmokeTestSettings;
}

export function readSmokeTestInputs(reader: InputReader): SmokeTestInputs {
  const endpoint = reader.optionalString('endpoint', {
    pattern: NAME_RULES.endpoint.pattern,
    allowed: `it must be ${NAME_RULES.endpoint.allowed}`,
  });
  const scoringUri = reader.optionalString('scoring-uri');
  const key = reader.secretString('key');
  const deployment = reader.optionalString('deployment', {
    pattern: NAME_RULES.deployment.pattern,
    allowed: `it must be ${NAME_RULES.deployment.allowed}`,
  });
  const allowInsecureHttp = reader.boolean('allow-insecure-http', false);
  const settings = readSmokeTestSettings(reader, true);
  if (settings === undefined) throw new InputError(reader.nameOf('payload'), '', 'it is required.');
  if ((endpoint === undefined) === (scoringUri === undefined)) {
    throw new InputError(
      reader.nameOf(endpoint === undefined ? 'endpoint' : 'scoring-uri'),
      endpoint ?? '',
      "set exactly one of 'endpoint' (found through Azure, with login inputs) and 'scoring-uri' (with 'key').",
    );
  }
  if (scoringUri !== undefined) {
    if (!/^https?:\/\/[^\s/]+/.test(scoringUri))
      throw new InputError(reader.nameOf('scoring-uri'), scoringUri, 'it must be an http:// or https:// URL.');
    if (!allowInsecureHttp && sendsInClear(scoringUri))
      throw new InputError(
        reader.nameOf('scoring-uri'),
        scoringUri,
        `it is http:// to a host other than this machine, so the key and headers would travel in clear: use https://, or set '${reader.nameOf('allow-insecure-http')}: true' for a network you trust.`,
      );
    return { target: { kind: 'uri', scoringUri, key, deployment, dryRun: reader.boolean('dry-run', false) }, settings };
  }
  if (key !== undefined) {
    throw new InputError(
      reader.nameOf('key'),
      '(hidden)',
      "it is used with 'scoring-uri'; with 'endpoint' the credentials are fetched from Azure.",
    );
  }
  return {
    target: { kind: 'endpoint', common: readCommonInputs(reader), endpoint: endpoint ?? '', deployment },
    settings,
  };
}

/** http:// to anything but this machine (loopback), where a key or token would be readable on the way. */
function sendsInClear(uri: string): boolean {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false; // refused as an invalid URL where it is used
  }
  const host = url.hostname.toLowerCase();
  return url.protocol === 'http:' && !(host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host));
}
