// Where the ARM token may go besides ARM: the cloud's Azure ML data plane (run history, MLflow,
// discovery), over https. Those URLs come from responses (a workspace's writable discoveryUrl, the
// discovery answer), so each is checked before a token is attached (issue 32).

import { UserError } from '../errors.js';
import type { Cloud } from './cloud.js';

/** Whether `url` is https on a host of the cloud's Azure ML data plane (Cloud.mlDataPlaneHosts). */
export function isTrustedDataPlaneUrl(cloud: Cloud, url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '') return false;
  const host = parsed.host.toLowerCase();
  const hostname = parsed.hostname.toLowerCase();
  return cloud.mlDataPlaneHosts.some((trusted) =>
    trusted.startsWith('.') ? hostname.endsWith(trusted) && parsed.port === '' : host === trusted.toLowerCase(),
  );
}

/** `url`, when the ARM token may be sent there; else a UserError saying where it pointed and what is allowed. */
export function trustedDataPlaneUrl(cloud: Cloud, url: string, what: string): string {
  if (isTrustedDataPlaneUrl(cloud, url)) return url;
  let shown = url;
  try {
    const parsed = new URL(url);
    shown = `${parsed.protocol}//${parsed.host}`;
  } catch {
    // not a URL: shown as it is (quoted below)
  }
  throw new UserError(
    `${what} points at ${JSON.stringify(shown)}: the Azure token is only sent over https to the Azure ML data plane of cloud '${cloud.name}' (${cloud.mlDataPlaneHosts.map((h) => (h.startsWith('.') ? `*${h}` : h)).join(', ')}). ` +
      `Check the workspace's discoveryUrl (anyone who can write the workspace can change it), or set 'wait: false' to not follow the job.`,
  );
}
