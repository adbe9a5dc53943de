// Everything the emulator knows: its settings, keys, principals, role assignments, ARM resources,
// long-running operations, the request log and fault rules. One instance per running emulator.
import { randomUUID } from 'node:crypto';
import { newSigningKey, type SigningKey } from './jwt.js';
import type { FaultRule } from './faults.js';
import type { ScoringHandler } from './scoring.js';

export interface EmulatorSettings {
  tenantId: string;
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  location: string;
  /** Service principal (app id) seeded with federated credentials and Contributor on the workspace. */
  clientId: string;
  /** App id of the seeded pull-request app: trusts only `pull_request`, AzureML Data Scientist on the workspace. */
  pullRequestClientId: string;
  /** Blob container of `workspaceblobstore` (default `azureml-blobstore-<workspace guid>`, as Azure names it). */
  blobContainer?: string;
  /** Name of the attached Kubernetes compute seeded in the workspace. */
  kubernetesCompute: string;
  /** The GitHub repository the OIDC issuer pretends to run in (`owner/name`). */
  repository: string;
  /**
   * Whether that repository presents ID-based subjects (`repo:OWNER@OWNER_ID/REPO@REPO_ID:…`), as
   * GitHub does for repositories created, renamed or transferred after June 18, 2026 or opted in.
   * Admin POST /oidc/claims `{"immutable_subject_claims": true}` switches it for the next tokens.
   */
  immutableSubjectClaims: boolean;
  /** Milliseconds per step of a long-running operation (Creating → Succeeded is a few steps). */
  lroStepMs: number;
  /** Retry-After (seconds) on 202 answers of long-running operations (0: no header; SDKs then poll at their own interval). */
  retryAfterSeconds: number;
  /** Lifetime of GitHub ID tokens in seconds. */
  idTokenLifetimeSeconds: number;
  /** Lifetime of AML tokens handed out by online endpoints' getToken, in seconds. */
  amlTokenLifetimeSeconds: number;
  /** Lifetime of Entra access tokens in seconds (Entra's is about an hour; short ones make clients refresh). */
  accessTokenLifetimeSeconds: number;
  /**
   * Checks against the 2022-10-01 swagger: `requests` (default) refuses request bodies that do not
   * validate (400, as Azure); `strict` also turns any response that does not validate into a 500
   * `EmulatorSpecViolation` (the test suite's mode); `off`. Env AZUREML_EMULATOR_SPEC_VALIDATION wins.
   */
  specValidation: 'off' | 'requests' | 'strict';
  /**
   * Which deployments run in Microsoft's inference server (pythonScoring.ts): `auto` (default) every
   * scoring script and MLflow model, except action-deploy's generic ONNX score.py, answered by the
   * native fast path (onnxScoring.ts: the same contract, ten times faster, no Python); `all` that
   * script too; `off` none, every call goes to the ScoringHandler (front-end tests with their own).
   */
  pythonScoring: 'auto' | 'all' | 'off';
}

export const defaultSettings: EmulatorSettings = {
  tenantId: '5f6b3a2e-1c4d-4e8f-9a0b-7c6d5e4f3a21',
  subscriptionId: '0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f',
  resourceGroup: 'rg-azureml-emulator',
  workspace: 'ws-emulator',
  location: 'westeurope',
  clientId: '8a1f5c2e-3b4d-4c6e-9f70-1a2b3c4d5e6f',
  pullRequestClientId: '2c7e9a41-5d3b-4f8a-b1e6-9d0c4a7f3e52',
  kubernetesCompute: 'aks-attached',
  repository: 'octo-org/octo-repo',
  immutableSubjectClaims: false,
  lroStepMs: 150,
  retryAfterSeconds: 1,
  idTokenLifetimeSeconds: 300,
  amlTokenLifetimeSeconds: 3600,
  accessTokenLifetimeSeconds: 3599,
  specValidation: 'requests',
  pythonScoring: 'auto',
};

export interface FederatedCredential {
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

export interface Principal {
  /** Application (client) id. */
  appId: string;
  /** Object id of the service principal: what role assignments and tokens' `oid` name. */
  objectId: string;
  displayName: string;
  secrets: string[];
  /** End dates (ISO 8601) of client secrets that have one (Graph's passwordCredential `endDateTime`), by secret. */
  secretEndDates?: Record<string, string>;
  federatedCredentials: FederatedCredential[];
}

/** What kind of credential the emulator handed out (admin `GET /secrets`; tests scan logs for them). */
export type IssuedSecretKind =
  | 'client secret'
  | 'GitHub ID token'
  | 'ID-token request token'
  | 'Entra access token'
  | 'endpoint key'
  | 'AML token'
  | 'storage account key'
  | 'SAS URL';

export interface IssuedSecret {
  /** 1, 2, 3... in the order issued (admin `GET /secrets?since=N`). */
  id: number;
  kind: IssuedSecretKind;
  value: string;
}

export interface RoleAssignment {
  id: string;
  principalId: string;
  roleName: string;
  scope: string;
}

export interface RequestLogEntry {
  id: number;
  time: string;
  service: string;
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  principal?: string;
  durationMs: number;
  requestId: string;
  requestBody?: unknown;
  responseBody?: unknown;
  fault?: string;
}

export interface StoredResource {
  /** Canonical-case ARM id. */
  id: string;
  /** The resource as GET returns it (without systemData). */
  body: Record<string, unknown>;
  createdAt: string;
  createdBy: string;
  modifiedAt: string;
  modifiedBy: string;
}

export interface Operation {
  id: string;
  resourceId: string;
  status: 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';
  startTime: string;
  endTime?: string;
  error?: { code: string; message: string };
}

export class EmulatorContext {
  readonly settings: EmulatorSettings;
  /** https://127.0.0.1:PORT, set once the server listens. */
  baseUrl = '';
  blobUrl = '';
  /** The storage front (storage.ts), https://127.0.0.1:PORT; '' without Azurite. */
  storageUrl = '';
  readonly oidcKey: SigningKey = newSigningKey();
  readonly entraKey: SigningKey = newSigningKey();
  readonly amlTokenKey: SigningKey = newSigningKey();
  readonly oidcRequestToken = randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, '');
  readonly principals = new Map<string, Principal>(); // by appId
  readonly roleAssignments: RoleAssignment[] = [];
  readonly resources = new Map<string, StoredResource>(); // by lower-case id
  readonly operations = new Map<string, Operation>();
  readonly requests: RequestLogEntry[] = [];
  faults: FaultRule[] = [];
  /** Claims overriding/adding to the next GitHub ID tokens (admin POST /oidc/claims). */
  oidcOverrides: Record<string, unknown> = {};
  /**
   * Online endpoint names another subscription holds in this region (admin POST /taken-endpoint-names):
   * Azure refuses creating them, since endpoint names are unique per region.
   */
  takenEndpointNames = new Set<string>();
  scoring: ScoringHandler | undefined;
  /** Per-feature state that is saved with --state-dir (e.g. endpoint keys, deployment logs), by key. */
  readonly extra = new Map<string, unknown>();
  private requestCounter = 0;
  readonly timers = new Set<NodeJS.Timeout>();
  /** Every credential this emulator handed out or accepts, once each, so tests can prove none leaked. */
  readonly issued: IssuedSecret[] = [];
  private readonly issuedValues = new Set<string>();
  /** Tells one running emulator from another that later got the same port (admin `GET /secrets`). */
  readonly instanceId = randomUUID();

  constructor(settings: EmulatorSettings) {
    this.settings = settings;
    this.issueSecret('ID-token request token', this.oidcRequestToken);
  }

  /** Records a credential the emulator hands out (token, key) or accepts (client secret). */
  issueSecret(kind: IssuedSecretKind, value: string): void {
    if (value === '' || this.issuedValues.has(value)) return;
    this.issuedValues.add(value);
    this.issued.push({ id: this.issued.length + 1, kind, value });
  }

  get retryAfterSeconds(): number {
    return this.settings.retryAfterSeconds;
  }

  get oidcIssuer(): string {
    return `${this.baseUrl}/oidc`;
  }

  get workspaceId(): string {
    const s = this.settings;
    return `/subscriptions/${s.subscriptionId}/resourceGroups/${s.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${s.workspace}`;
  }

  nextRequestNumber(): number {
    this.requestCounter += 1;
    return this.requestCounter;
  }

  principalByObjectId(objectId: string): Principal | undefined {
    for (const p of this.principals.values()) if (p.objectId === objectId) return p;
    return undefined;
  }

  /** setTimeout that `stop()` clears. */
  later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }
}
