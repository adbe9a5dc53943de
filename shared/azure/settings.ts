// The login and workspace inputs every action shares (DESIGN.md "Login and workspace"), each with
// its environment fallback, parsed once into AzureSettings before any request is made.

import { InputError } from '../errors.js';
import type { InputReader } from '../inputs/reader.js';
import { CLOUD_NAMES, DEFAULT_STORAGE_URL_TEMPLATE, KNOWN_CLOUDS, type Cloud } from './cloud.js';
import { NAME_RULES } from './names.js';

export type AuthType = 'oidc' | 'secret' | 'azure-cli';
export const AUTH_TYPE_INPUTS = ['auto', 'oidc', 'secret', 'azure-cli'] as const;
export const DEFAULT_AUDIENCE = 'api://AzureADTokenExchange';

export interface AzureSettings {
  /** The login the step will use: `auto` is resolved here, from what the job can do. */
  authType: AuthType;
  /** True when auth-type was `auto`: failures then explain how the choice was made. */
  authTypeWasAuto: boolean;
  clientId: string | undefined;
  tenantId: string | undefined;
  clientSecret: string | undefined;
  audience: string;
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  cloud: Cloud;
}

export interface CommonSettings {
  azure: AzureSettings;
  dryRun: boolean;
}

/** The names of the common inputs, in the order action.yml lists them. */
export const COMMON_INPUT_NAMES = [
  'client-id',
  'tenant-id',
  'subscription-id',
  'client-secret',
  'auth-type',
  'audience',
  'cloud',
  'arm-endpoint',
  'authority-host',
  'storage-url-template',
  'resource-group',
  'workspace',
  'dry-run',
] as const;

export function readCommonInputs(reader: InputReader): CommonSettings {
  const clientSecret = reader.secretString('client-secret', { env: 'AZURE_CLIENT_SECRET' });
  const requestedAuthType = reader.enumeration('auth-type', AUTH_TYPE_INPUTS, 'auto');
  const canRequestIdToken = Boolean(
    reader.env('ACTIONS_ID_TOKEN_REQUEST_URL') && reader.env('ACTIONS_ID_TOKEN_REQUEST_TOKEN'),
  );
  const idOptions = (env: string) => ({
    env,
    pattern: NAME_RULES.guid.pattern,
    allowed: `it must be ${NAME_RULES.guid.allowed}`,
  });
  const tenantOptions = {
    env: 'AZURE_TENANT_ID',
    pattern: NAME_RULES.tenant.pattern,
    allowed: `it must be ${NAME_RULES.tenant.allowed}`,
  };
  const givenClientId = reader.optionalString('client-id', idOptions('AZURE_CLIENT_ID'));
  const givenTenantId = reader.optionalString('tenant-id', tenantOptions);
  // `auto`: an app (client-id and tenant-id) without a client secret means OIDC even when this job
  // cannot request an ID token, so the missing `permissions: id-token: write` is named at once
  // instead of a fall-back to the Azure CLI failing later for another reason. Only inputs that name
  // no app lead to the Azure CLI.
  const authType: AuthType =
    requestedAuthType !== 'auto'
      ? requestedAuthType
      : canRequestIdToken
        ? 'oidc'
        : clientSecret !== undefined
          ? 'secret'
          : givenClientId !== undefined && givenTenantId !== undefined
            ? 'oidc'
            : 'azure-cli';

  const needsApp = authType !== 'azure-cli';
  const clientId = needsApp ? reader.requiredString('client-id', idOptions('AZURE_CLIENT_ID')) : givenClientId;
  const tenantId = needsApp ? reader.requiredString('tenant-id', tenantOptions) : givenTenantId;
  if (authType === 'secret' && clientSecret === undefined) {
    throw new InputError(
      reader.nameOf('client-secret'),
      '',
      "it is required when auth-type is 'secret' (or set AZURE_CLIENT_SECRET).",
    );
  }

  const audience = reader.optionalString('audience', { maxLength: 512 }) ?? DEFAULT_AUDIENCE;
  const subscriptionId = reader.requiredString('subscription-id', idOptions('AZURE_SUBSCRIPTION_ID'));
  const resourceGroup = reader.requiredString('resource-group', {
    env: 'AZURE_RESOURCE_GROUP',
    pattern: NAME_RULES.resourceGroup.pattern,
    allowed: `it must be ${NAME_RULES.resourceGroup.allowed}`,
  });
  const workspace = reader.requiredString('workspace', {
    env: 'AZUREML_WORKSPACE',
    pattern: NAME_RULES.workspace.pattern,
    allowed: `it must be ${NAME_RULES.workspace.allowed}`,
  });

  return {
    azure: {
      authType,
      authTypeWasAuto: requestedAuthType === 'auto',
      clientId,
      tenantId,
      clientSecret,
      audience,
      subscriptionId,
      resourceGroup,
      workspace,
      cloud: readCloud(reader),
    },
    dryRun: reader.boolean('dry-run', false),
  };
}

function readCloud(reader: InputReader): Cloud {
  const name = reader.enumeration('cloud', CLOUD_NAMES, 'AzureCloud', { env: 'AZURE_CLOUD' });
  const armEndpoint = readHttpsUrl(reader, 'arm-endpoint', 'AZURE_ARM_ENDPOINT');
  const authorityHost = readHttpsUrl(reader, 'authority-host', 'AZURE_AUTHORITY_HOST');
  const template = reader.optionalString('storage-url-template', { env: 'AZURE_STORAGE_URL_TEMPLATE' });
  if (template !== undefined && (!template.includes('{account}') || !/^https?:\/\//.test(template))) {
    throw new InputError(
      reader.nameOf('storage-url-template'),
      template,
      "it must be an http(s) URL containing '{account}', such as 'https://{account}.blob.{suffix}'.",
    );
  }
  if (name !== 'custom') {
    for (const [input, value] of [
      ['arm-endpoint', armEndpoint],
      ['authority-host', authorityHost],
    ] as const) {
      if (value !== undefined) {
        throw new InputError(reader.nameOf(input), value, `it is only used with cloud 'custom' (cloud is '${name}').`);
      }
    }
    const known = KNOWN_CLOUDS[name];
    return template === undefined ? known : { ...known, storageUrlTemplate: template };
  }
  if (armEndpoint === undefined) {
    throw new InputError(
      reader.nameOf('arm-endpoint'),
      '',
      "it is required when cloud is 'custom' (or set AZURE_ARM_ENDPOINT).",
    );
  }
  if (authorityHost === undefined) {
    throw new InputError(
      reader.nameOf('authority-host'),
      '',
      "it is required when cloud is 'custom' (or set AZURE_AUTHORITY_HOST).",
    );
  }
  return {
    name,
    armEndpoint,
    authorityHost,
    // Custom clouds (Azure Stack aside) accept tokens for the public ARM audience; the emulator does too.
    armScope: 'https://management.azure.com/.default',
    storageUrlTemplate: template ?? DEFAULT_STORAGE_URL_TEMPLATE,
    storageSuffix: 'core.windows.net',
    studioUrl: undefined,
    mlDataPlaneHosts: [new URL(armEndpoint).host],
  };
}

function readHttpsUrl(reader: InputReader, name: string, env: string): string | undefined {
  const value = reader.optionalString(name, { env });
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(reader.nameOf(name), value, 'it must be an https:// URL.');
  }
  // Bearer tokens are only ever sent over TLS (the Azure SDK refuses otherwise).
  if (url.protocol !== 'https:') throw new InputError(reader.nameOf(name), value, 'it must be an https:// URL.');
  return value.replace(/\/+$/, '');
}
