// Azure's naming rules for the resources the actions create or reference, checked before any
// request so a bad name fails with the rule instead of an ARM 400 after a login round-trip.

export interface NameRule {
  pattern: RegExp;
  /** The rule in words, completing "it must be ..." / "allowed: ...". */
  allowed: string;
}

/** The workspace's default blob datastore, as Azure ML names it. */
export const DEFAULT_DATASTORE = 'workspaceblobstore';

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const NAME_RULES = {
  /** Path parameter pattern of every asset container/version in the 2022-10-01 spec (mfe.json). */
  asset: {
    pattern: /^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$/,
    allowed: "a name of 1-255 characters: letters, digits, '-' and '_', starting with a letter or digit.",
  },
  /** Asset versions: Azure ML accepts strings; we keep to characters valid in `azureml:NAME:VERSION`. */
  assetVersion: {
    pattern: /^(auto|[a-zA-Z0-9][a-zA-Z0-9._-]{0,49})$/,
    allowed: "'auto' (the next integer) or a version of 1-50 characters: letters, digits, '.', '-' and '_'.",
  },
  /** Datastores (the spec gives no pattern: this keeps names usable in azureml:// URIs and ARM paths). */
  datastore: {
    pattern: /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,254}$/,
    allowed: "a datastore name of 1-255 characters: letters, digits, '_' and '-', starting with a letter or digit.",
  },
  /** Online endpoints and deployments: Azure ML's rule (also DESIGN.md for derived deployment names). */
  endpoint: {
    pattern: /^[a-zA-Z](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$/,
    allowed: "a name of 1-32 characters: letters, digits and '-', starting with a letter and not ending with '-'.",
  },
  deployment: {
    pattern: /^[a-zA-Z](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$/,
    allowed: "a name of 1-32 characters: letters, digits and '-', starting with a letter and not ending with '-'.",
  },
  /** Azure ML compute names. */
  compute: {
    pattern: /^[a-zA-Z][a-zA-Z0-9-]{1,15}$/,
    allowed: "a name of 2-16 characters: letters, digits and '-', starting with a letter.",
  },
  workspace: {
    pattern: /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$/,
    allowed: "a workspace name of 3-33 characters: letters, digits, '-' and '_', starting with a letter or digit.",
  },
  /** common-types ResourceGroupNameParameter. */
  resourceGroup: {
    pattern: /^(?!.*\.$)[-\w._()]{1,90}$/u,
    allowed:
      "a resource group name of 1-90 characters: letters, digits, '-', '_', '.', '(' and ')', not ending with '.'.",
  },
  guid: { pattern: GUID, allowed: 'a GUID such as 00000000-0000-0000-0000-000000000000.' },
  /** Tenants are GUIDs or verified domain names (contoso.onmicrosoft.com). */
  tenant: {
    pattern: new RegExp(
      `${GUID.source}|^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$`,
    ),
    allowed: 'a tenant ID (GUID) or a domain such as contoso.onmicrosoft.com.',
  },
  experiment: {
    pattern: /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,254}$/,
    allowed: "a name of 1-255 characters: letters, digits, '.', '-' and '_', starting with a letter or digit.",
  },
} satisfies Record<string, NameRule>;
