// Every input of every action, table-driven: each case gives inputs and either the error that must
// name the input (and what is allowed) or a check of the typed value. A last test fails when an
// input declared in an action.yml appears in no case here.

import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readDeployInputs } from '../../action-deploy/src/inputs.js';
import { readSmokeTestInputs } from '../../action-deploy/smoke-test/src/inputs.js';
import { readPipelineInputs } from '../../action-pipeline/src/inputs.js';
import { readRegisterInputs } from '../../action-register/src/inputs.js';
import { InputError } from '../../shared/errors.js';
import { InputReader } from '../../shared/inputs/reader.js';
import { inputsFromRecord } from '../../shared/inputs/source.js';
import { actionManifest } from '../harness/runAction.js';

const ws = mkdtempSync(path.join(os.tmpdir(), 'inputs-ws-'));
const files: Record<string, string> = {
  'model.onnx': 'onnx',
  'data/a.csv': 'a,b\n1,2\n',
  'table/MLTable': 'paths: []\n',
  'mlflow/MLmodel': 'flavors: {}\n',
  'triton/vad/1/model.onnx': 'onnx',
  'docker/Dockerfile': 'FROM python:3.11\n',
  'conda.yml': 'dependencies: []\n',
  'pipelines/train.yml': 'type: pipeline\n',
  'pipelines/notes.txt': 'x',
  'payload.json': '{"inputs": {}}',
  'cases/one.json': '{}',
  'code/score.py': 'def run(x): return x\n',
};
for (const [file, content] of Object.entries(files)) {
  mkdirSync(path.dirname(path.join(ws, file)), { recursive: true });
  writeFileSync(path.join(ws, file), content);
}

const LOGIN_ENV = {
  GITHUB_WORKSPACE: ws,
  GITHUB_REPOSITORY: 'octo-org/octo-repo',
  AZURE_CLIENT_ID: '11111111-1111-1111-1111-111111111111',
  AZURE_TENANT_ID: '22222222-2222-2222-2222-222222222222',
  AZURE_SUBSCRIPTION_ID: '33333333-3333-3333-3333-333333333333',
  AZURE_RESOURCE_GROUP: 'rg-ml',
  AZUREML_WORKSPACE: 'ws-main',
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.example/?x=1',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token',
};

type Reader = (reader: InputReader) => unknown;
/** The four actions parse to different shapes; each case's check knows the one it reads. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Parsed = any;
/** base: inputs every case starts from; loginBase: what makes the action read the login inputs. */
const ACTIONS: Record<string, { read: Reader; base: Record<string, string>; loginBase?: Record<string, string> }> = {
  'action-register': { read: readRegisterInputs, base: { name: 'vad', path: 'model.onnx' } },
  'action-deploy': { read: readDeployInputs, base: { endpoint: 'vad-prod', model: 'vad:3' } },
  'action-deploy/smoke-test': {
    read: readSmokeTestInputs,
    base: { 'scoring-uri': 'http://127.0.0.1:1/score', payload: 'payload.json' },
    loginBase: { 'scoring-uri': '', endpoint: 'vad-prod' },
  },
  'action-pipeline': { read: readPipelineInputs, base: { job: 'pipelines/train.yml' } },
};

interface Case {
  name: string;
  inputs: Record<string, string>;
  env?: Record<string, string | undefined>;
  /** The input the error must name, and text it must contain. */
  error?: [string, RegExp];
  check?: (parsed: Parsed) => void;
}

function parse(action: string, inputs: Record<string, string>, env: Record<string, string | undefined> = {}) {
  const spec = ACTIONS[action];
  if (!spec) throw new Error(`unknown action ${action}`);
  const merged = { ...LOGIN_ENV, ...env };
  const cleanEnv = Object.fromEntries(
    Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const parsed = spec.read(new InputReader(inputsFromRecord({ ...spec.base, ...inputs }, cleanEnv))) as Parsed;
  // The smoke test keeps its login settings with its endpoint target.
  return parsed.common === undefined && parsed.target?.common ? { ...parsed, common: parsed.target.common } : parsed;
}

function runCase(action: string, testCase: Case) {
  if (testCase.error) {
    const [input, text] = testCase.error;
    let caught: unknown;
    try {
      parse(action, testCase.inputs, testCase.env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).input).toBe(input);
    expect((caught as InputError).message).toContain(`Input '${input}'`);
    expect((caught as InputError).message).toMatch(text);
  } else {
    const parsed = parse(action, testCase.inputs, testCase.env);
    testCase.check?.(parsed);
  }
}

const COMMON_CASES: Case[] = [
  {
    name: 'login from the environment fallbacks, OIDC when the job can request a token',
    inputs: {},
    check: (p) =>
      expect(p.common.azure).toMatchObject({
        authType: 'oidc',
        authTypeWasAuto: true,
        workspace: 'ws-main',
        resourceGroup: 'rg-ml',
      }),
  },
  {
    name: 'inputs win over environment fallbacks',
    inputs: {
      workspace: 'other-ws',
      'resource-group': 'rg2',
      'subscription-id': '44444444-4444-4444-4444-444444444444',
      'tenant-id': 'contoso.onmicrosoft.com',
      'client-id': '55555555-5555-5555-5555-555555555555',
    },
    check: (p) =>
      expect(p.common.azure).toMatchObject({
        workspace: 'other-ws',
        resourceGroup: 'rg2',
        tenantId: 'contoso.onmicrosoft.com',
      }),
  },
  {
    name: 'auto falls back to secret without an ID token',
    inputs: { 'client-secret': 'not-a-real-secret' },
    env: { ACTIONS_ID_TOKEN_REQUEST_URL: undefined },
    check: (p) => expect(p.common.azure.authType).toBe('secret'),
  },
  {
    name: 'auto falls back to azure-cli without token or secret',
    inputs: {},
    env: { ACTIONS_ID_TOKEN_REQUEST_URL: undefined, AZURE_CLIENT_ID: undefined, AZURE_TENANT_ID: undefined },
    check: (p) => expect(p.common.azure.authType).toBe('azure-cli'),
  },
  {
    name: 'auth-type secret needs a secret',
    inputs: { 'auth-type': 'secret' },
    error: ['client-secret', /required when auth-type is 'secret'/],
  },
  {
    name: 'unknown auth-type',
    inputs: { 'auth-type': 'password' },
    error: ['auth-type', /'auto', 'oidc', 'secret', 'azure-cli'/],
  },
  { name: 'client-id must be a GUID', inputs: { 'client-id': 'my-app' }, error: ['client-id', /GUID/] },
  {
    name: 'client-id is required for OIDC',
    inputs: {},
    env: { AZURE_CLIENT_ID: undefined },
    error: ['client-id', /required.*AZURE_CLIENT_ID/],
  },
  {
    name: 'tenant-id must be a GUID or domain',
    inputs: { 'tenant-id': 'not a tenant' },
    error: ['tenant-id', /tenant ID \(GUID\) or a domain/],
  },
  {
    name: 'subscription-id is required',
    inputs: {},
    env: { AZURE_SUBSCRIPTION_ID: undefined },
    error: ['subscription-id', /required.*AZURE_SUBSCRIPTION_ID/],
  },
  {
    name: 'resource-group rule',
    inputs: { 'resource-group': 'ends-with-dot.' },
    error: ['resource-group', /not ending with '.'/],
  },
  { name: 'workspace rule', inputs: { workspace: 'ws' }, error: ['workspace', /3-33 characters/] },
  {
    name: 'audience defaults to the GitHub exchange audience',
    inputs: {},
    check: (p) => expect(p.common.azure.audience).toBe('api://AzureADTokenExchange'),
  },
  { name: 'audience too long', inputs: { audience: 'a'.repeat(600) }, error: ['audience', /at most 512/] },
  {
    name: 'government cloud endpoints',
    inputs: { cloud: 'AzureUSGovernment' },
    check: (p) => expect(p.common.azure.cloud.armEndpoint).toBe('https://management.usgovcloudapi.net'),
  },
  {
    name: 'unknown cloud',
    inputs: { cloud: 'AzureGermanCloud' },
    error: ['cloud', /'AzureCloud', 'AzureUSGovernment', 'AzureChinaCloud', 'custom'/],
  },
  {
    name: 'custom cloud needs arm-endpoint',
    inputs: { cloud: 'custom', 'authority-host': 'https://login.local' },
    error: ['arm-endpoint', /required when cloud is 'custom'/],
  },
  {
    name: 'custom cloud needs authority-host',
    inputs: { cloud: 'custom', 'arm-endpoint': 'https://arm.local' },
    error: ['authority-host', /required when cloud is 'custom'/],
  },
  {
    name: 'arm-endpoint must be https',
    inputs: { cloud: 'custom', 'arm-endpoint': 'http://arm.local', 'authority-host': 'https://login.local' },
    error: ['arm-endpoint', /https:\/\/ URL/],
  },
  {
    name: 'arm-endpoint only with custom',
    inputs: { 'arm-endpoint': 'https://arm.local' },
    error: ['arm-endpoint', /only used with cloud 'custom'/],
  },
  {
    name: 'custom cloud from the environment (the emulator)',
    inputs: {},
    env: {
      AZURE_CLOUD: 'custom',
      AZURE_ARM_ENDPOINT: 'https://127.0.0.1:8443/',
      AZURE_AUTHORITY_HOST: 'https://127.0.0.1:8443',
      AZURE_STORAGE_URL_TEMPLATE: 'http://127.0.0.1:10000/{account}',
    },
    check: (p) =>
      expect(p.common.azure.cloud).toMatchObject({
        name: 'custom',
        armEndpoint: 'https://127.0.0.1:8443',
        storageUrlTemplate: 'http://127.0.0.1:10000/{account}',
      }),
  },
  {
    name: 'storage-url-template needs {account}',
    inputs: { 'storage-url-template': 'https://blob.local' },
    error: ['storage-url-template', /containing '\{account\}'/],
  },
  { name: 'dry-run is a boolean', inputs: { 'dry-run': 'maybe' }, error: ['dry-run', /'true' and 'false'/] },
  { name: 'dry-run true', inputs: { 'dry-run': 'true' }, check: (p) => expect(p.common.dryRun).toBe(true) },
];

const CASES: Record<string, Case[]> = {
  'action-register': [
    {
      name: 'a model file, type custom_model, next version',
      inputs: {},
      check: (p) =>
        expect(p.asset).toMatchObject({
          kind: 'model',
          name: 'vad',
          version: 'auto',
          modelType: 'custom_model',
          dedupe: true,
          lineageTags: true,
        }),
    },
    { name: 'unknown kind', inputs: { kind: 'dataset' }, error: ['kind', /'model', 'data', 'environment'/] },
    { name: 'empty name', inputs: { name: '' }, error: ['name', /required/] },
    {
      name: 'name with invalid characters',
      inputs: { name: 'my model!' },
      error: ['name', /letters, digits, '-' and '_'/],
    },
    { name: 'missing path', inputs: { path: '' }, error: ['path', /required/] },
    { name: 'path that does not exist', inputs: { path: 'nope.onnx' }, error: ['path', /nothing exists/] },
    {
      name: 'path outside the workspace',
      inputs: { path: '../../etc/passwd' },
      error: ['path', /inside the workspace/],
    },
    {
      name: 'explicit version',
      inputs: { version: '2024.01.5' },
      check: (p) => expect(p.asset.version).toBe('2024.01.5'),
    },
    { name: 'invalid version', inputs: { version: '1 2' }, error: ['version', /'auto'/] },
    {
      name: 'datastore defaults to workspaceblobstore',
      inputs: { datastore: '' },
      check: (p) => expect(p.asset.datastore).toBe('workspaceblobstore'),
    },
    {
      name: 'identity-based datastore for the upload',
      inputs: { datastore: 'workspaceidentitystore' },
      check: (p) => expect(p.asset.datastore).toBe('workspaceidentitystore'),
    },
    {
      name: 'datastore name with a path in it',
      inputs: { datastore: 'store/../other' },
      error: ['datastore', /letters, digits, '_' and '-'/],
    },
    {
      name: 'datastore without anything to upload',
      inputs: {
        kind: 'data',
        path: 'azureml://datastores/workspaceblobstore/paths/data/',
        datastore: 'workspaceidentitystore',
      },
      error: ['datastore', /only when files are uploaded/],
    },
    {
      name: 'datastore for an environment build context',
      inputs: { kind: 'environment', path: 'docker', datastore: 'workspaceidentitystore' },
      check: (p) => expect(p.asset.datastore).toBe('workspaceidentitystore'),
    },
    {
      name: 'description',
      inputs: { description: 'Silero VAD' },
      check: (p) => expect(p.asset.description).toBe('Silero VAD'),
    },
    { name: 'description too long', inputs: { description: 'x'.repeat(5001) }, error: ['description', /at most 5000/] },
    {
      name: 'tags as key=value lines',
      inputs: { tags: 'stage=dev\nowner=ml' },
      check: (p) => expect(p.asset.tags).toEqual({ stage: 'dev', owner: 'ml' }),
    },
    {
      name: 'properties as JSON',
      inputs: { properties: '{"framework":"onnx"}' },
      check: (p) => expect(p.asset.properties).toEqual({ framework: 'onnx' }),
    },
    { name: 'bad tags', inputs: { tags: 'oops' }, error: ['tags', /key=value/] },
    {
      name: 'mlflow detected from MLmodel',
      inputs: { path: 'mlflow' },
      check: (p) => expect(p.asset).toMatchObject({ modelType: 'mlflow_model', modelTypeDetected: true }),
    },
    {
      name: 'triton model folder',
      inputs: { path: 'triton', 'model-type': 'triton_model' },
      check: (p) => expect(p.asset.modelType).toBe('triton_model'),
    },
    {
      name: 'triton model must be a folder',
      inputs: { 'model-type': 'triton_model' },
      error: ['path', /Triton model repository layout/],
    },
    {
      name: 'unknown model-type',
      inputs: { 'model-type': 'onnx' },
      error: ['model-type', /'custom_model', 'mlflow_model', 'triton_model'/],
    },
    {
      name: 'model-type with kind data',
      inputs: { kind: 'data', path: 'data', 'model-type': 'custom_model' },
      error: ['model-type', /applies only to kind 'model'/],
    },
    {
      name: 'data folder inferred as uri_folder',
      inputs: { kind: 'data', path: 'data' },
      check: (p) => expect(p.asset).toMatchObject({ dataType: 'uri_folder', dataTypeInferred: true }),
    },
    {
      name: 'data file inferred as uri_file',
      inputs: { kind: 'data', path: 'data/a.csv' },
      check: (p) => expect(p.asset.dataType).toBe('uri_file'),
    },
    {
      name: 'MLTable folder inferred as mltable',
      inputs: { kind: 'data', path: 'table' },
      check: (p) => expect(p.asset.dataType).toBe('mltable'),
    },
    {
      name: 'existing URI registered without upload',
      inputs: { kind: 'data', path: 'azureml://datastores/workspaceblobstore/paths/data/' },
      check: (p) =>
        expect(p.asset.source).toEqual({ kind: 'uri', uri: 'azureml://datastores/workspaceblobstore/paths/data/' }),
    },
    {
      name: 'uri_file for a folder',
      inputs: { kind: 'data', path: 'data', 'data-type': 'uri_file' },
      error: ['data-type', /is a folder/],
    },
    {
      name: 'unknown data-type',
      inputs: { kind: 'data', path: 'data', 'data-type': 'csv' },
      error: ['data-type', /'uri_file', 'uri_folder', 'mltable'/],
    },
    {
      name: 'environment from image and conda file',
      inputs: {
        kind: 'environment',
        path: '',
        image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest',
        'conda-file': 'conda.yml',
      },
      check: (p) =>
        expect(p.asset).toMatchObject({
          kind: 'environment',
          image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest',
        }),
    },
    {
      name: 'environment from a build context',
      inputs: { kind: 'environment', path: 'docker' },
      check: (p) => expect(p.asset.buildContext).toBe(path.join(ws, 'docker')),
    },
    {
      name: 'environment needs image or context',
      inputs: { kind: 'environment', path: '' },
      error: ['image', /needs 'image'/],
    },
    {
      name: 'invalid image',
      inputs: { kind: 'environment', path: '', image: 'UPPER CASE' },
      error: ['image', /Docker image reference/],
    },
    {
      name: 'conda-file without image',
      inputs: { kind: 'environment', path: 'docker', 'conda-file': 'conda.yml' },
      error: ['conda-file', /set 'image' too/],
    },
    {
      name: 'image with kind model',
      inputs: { image: 'python:3.11' },
      error: ['image', /applies only to kind 'environment'/],
    },
    { name: 'dedupe off', inputs: { dedupe: 'false' }, check: (p) => expect(p.asset.dedupe).toBe(false) },
    { name: 'dedupe not a boolean', inputs: { dedupe: 'no' }, error: ['dedupe', /'true' and 'false'/] },
    {
      name: 'lineage tags off',
      inputs: { 'lineage-tags': 'false' },
      check: (p) => expect(p.asset.lineageTags).toBe(false),
    },
    {
      name: 'lineage-tags not a boolean',
      inputs: { 'lineage-tags': 'off' },
      error: ['lineage-tags', /'true' and 'false'/],
    },
  ],
  'action-deploy': [
    {
      name: 'defaults: aci, key, blue-green',
      inputs: {},
      check: (p) =>
        expect(p).toMatchObject({
          target: 'aci',
          operation: 'deploy',
          deploy: {
            authMode: 'key',
            strategy: 'blue-green',
            instanceCount: 1,
            model: { kind: 'version', name: 'vad', version: '3' },
          },
        }),
    },
    { name: 'unknown target', inputs: { target: 'gke' }, error: ['target', /'aci', 'aks', 'auto', 'local'/] },
    { name: 'missing endpoint', inputs: { endpoint: '' }, error: ['endpoint', /required/] },
    {
      name: 'endpoint must start with a letter',
      inputs: { endpoint: '1-ep' },
      error: ['endpoint', /starting with a letter/],
    },
    {
      name: 'deployment name rule',
      inputs: { deployment: 'blue_1' },
      error: ['deployment', /letters, digits and '-'/],
    },
    {
      name: 'model azureml:NAME:VERSION',
      inputs: { model: 'azureml:vad:7' },
      check: (p) => expect(p.deploy.model).toEqual({ kind: 'version', name: 'vad', version: '7' }),
    },
    {
      name: 'model NAME:latest',
      inputs: { model: 'vad:latest' },
      check: (p) => expect(p.deploy.model).toEqual({ kind: 'latest', name: 'vad' }),
    },
    {
      name: 'model previous',
      inputs: { model: 'previous' },
      check: (p) => expect(p.deploy.model).toEqual({ kind: 'previous', name: undefined }),
    },
    {
      name: 'model NAME:previous',
      inputs: { model: 'vad:previous' },
      check: (p) => expect(p.deploy.model).toEqual({ kind: 'previous', name: 'vad' }),
    },
    {
      name: 'local path model needs target local',
      inputs: { model: 'model.onnx' },
      error: ['model', /needs target 'local'/],
    },
    {
      name: 'local path model with target local',
      inputs: { model: 'model.onnx', target: 'local' },
      check: (p) => expect(p.deploy.model).toEqual({ kind: 'local', path: path.join(ws, 'model.onnx') }),
    },
    { name: 'missing model', inputs: { model: '' }, error: ['model', /required to deploy/] },
    {
      name: 'environment reference',
      inputs: { environment: 'azureml:onnx-env:2' },
      check: (p) => expect(p.deploy.environment).toBe('azureml:onnx-env:2'),
    },
    {
      name: 'environment must be an azureml reference',
      inputs: { environment: 'onnx-env' },
      error: ['environment', /azureml:NAME:VERSION/],
    },
    {
      name: 'code-path with scoring-script',
      inputs: { 'code-path': 'code', 'scoring-script': 'score.py' },
      check: (p) => expect(p.deploy).toMatchObject({ codePath: path.join(ws, 'code'), scoringScript: 'score.py' }),
    },
    {
      name: 'code-path without scoring-script',
      inputs: { 'code-path': 'code' },
      error: ['scoring-script', /required with 'code-path'/],
    },
    {
      name: 'scoring-script without code-path',
      inputs: { 'scoring-script': 'score.py' },
      error: ['scoring-script', /set 'code-path' too/],
    },
    {
      name: 'target local: a scoring script runs in the environment of conda-file',
      inputs: {
        target: 'local',
        model: 'model.onnx',
        'code-path': 'code',
        'scoring-script': 'score.py',
        'conda-file': 'conda.yml',
      },
      check: (p) => expect(p.deploy).toMatchObject({ condaFile: path.join(ws, 'conda.yml') }),
    },
    {
      name: 'target local: a scoring script without conda-file',
      inputs: { target: 'local', model: 'model.onnx', 'code-path': 'code', 'scoring-script': 'score.py' },
      error: ['conda-file', /target 'local' runs a scoring script in a Python environment built from a conda file/],
    },
    {
      name: 'conda-file is for target local only',
      inputs: { 'conda-file': 'conda.yml' },
      error: ['conda-file', /it applies to target 'local'; on Azure \(target 'aci'\) name a registered environment/],
    },
    {
      name: 'scoring-script must be python',
      inputs: { 'code-path': 'code', 'scoring-script': 'score.sh' },
      error: ['scoring-script', /Python file/],
    },
    {
      name: 'environment variables',
      inputs: { 'environment-variables': 'WORKERS=2\nLOG_LEVEL=debug' },
      check: (p) => expect(p.deploy.environmentVariables).toEqual({ WORKERS: '2', LOG_LEVEL: 'debug' }),
    },
    {
      name: 'environment variable names',
      inputs: { 'environment-variables': '1BAD=x' },
      error: ['environment-variables', /not starting with a digit/],
    },
    {
      name: 'instance type',
      inputs: { 'instance-type': 'Standard_F4s_v2' },
      check: (p) => expect(p.deploy.instanceType).toBe('Standard_F4s_v2'),
    },
    { name: 'instance type rule', inputs: { 'instance-type': 'big machine' }, error: ['instance-type', /VM size/] },
    { name: 'instance count range', inputs: { 'instance-count': '0' }, error: ['instance-count', /from 1 to 1000/] },
    { name: 'aks needs a compute', inputs: { target: 'aks' }, error: ['compute', /attached Kubernetes compute/] },
    {
      name: 'aks with compute and autoscale',
      inputs: {
        target: 'aks',
        compute: 'k8s-cluster',
        'min-instances': '2',
        'max-instances': '5',
        'target-utilization': '60',
      },
      check: (p) =>
        expect(p.deploy).toMatchObject({
          compute: 'k8s-cluster',
          autoscale: { minInstances: 2, maxInstances: 5, targetUtilization: 60 },
        }),
    },
    {
      name: 'compute with aci is refused (no silent fallback)',
      inputs: { compute: 'k8s-cluster' },
      error: ['compute', /applies to targets 'aks' and 'auto'/],
    },
    { name: 'compute name rule', inputs: { target: 'aks', compute: 'x' }, error: ['compute', /2-16 characters/] },
    {
      name: 'min-instances without max',
      inputs: { target: 'aks', compute: 'k8s-cluster', 'min-instances': '2' },
      error: ['min-instances', /needs 'max-instances'/],
    },
    {
      name: 'min above max',
      inputs: { target: 'aks', compute: 'k8s-cluster', 'min-instances': '6', 'max-instances': '5' },
      error: ['min-instances', /must not exceed max-instances/],
    },
    { name: 'autoscale on aci', inputs: { 'max-instances': '5' }, error: ['max-instances', /apply to target 'aks'/] },
    {
      name: 'target utilization range',
      inputs: { 'target-utilization': '150' },
      error: ['target-utilization', /from 1 to 100/],
    },
    {
      name: 'aml-token auth',
      inputs: { 'auth-mode': 'aml-token' },
      check: (p) => expect(p.deploy.authMode).toBe('aml-token'),
    },
    {
      name: 'aad-token refused for aks before any request',
      inputs: { target: 'aks', compute: 'k8s-cluster', 'auth-mode': 'aad-token' },
      error: ['auth-mode', /support 'key' and 'aml-token' only/],
    },
    {
      name: 'anonymous refused with the reason',
      inputs: { 'auth-mode': 'none' },
      error: ['auth-mode', /every Azure ML online endpoint is authenticated/],
    },
    {
      name: 'unknown auth-mode',
      inputs: { 'auth-mode': 'basic' },
      error: ['auth-mode', /'key', 'aml-token', 'aad-token'/],
    },
    {
      name: 'canary with traffic steps',
      inputs: { strategy: 'canary', 'traffic-steps': '5, 25, 100' },
      check: (p) => expect(p.deploy.trafficSteps).toEqual([5, 25, 100]),
    },
    {
      name: 'traffic steps must end at 100',
      inputs: { strategy: 'canary', 'traffic-steps': '10,50' },
      error: ['traffic-steps', /ending with 100/],
    },
    {
      name: 'unknown strategy',
      inputs: { strategy: 'rolling' },
      error: ['strategy', /'blue-green', 'canary', 'replace'/],
    },
    {
      name: 'app insights off',
      inputs: { 'app-insights': 'false' },
      check: (p) => expect(p.deploy.appInsights).toBe(false),
    },
    {
      name: 'request timeout above Azure maximum',
      inputs: { 'request-timeout': '5m' },
      error: ['request-timeout', /from 1ms to 3m/],
    },
    {
      name: 'max concurrent requests',
      inputs: { 'max-concurrent-requests': '0' },
      error: ['max-concurrent-requests', /from 1 to 1000/],
    },
    {
      name: 'liveness probe settings',
      inputs: { 'liveness-probe': 'initial-delay=10s\nperiod=5s\nfailure-threshold=3' },
      check: (p) =>
        expect(p.deploy.livenessProbe).toEqual({ initialDelayMs: 10_000, periodMs: 5000, failureThreshold: 3 }),
    },
    {
      name: 'readiness probe unknown key',
      inputs: { 'readiness-probe': 'delay=10s' },
      error: ['readiness-probe', /allowed keys are initial-delay/],
    },
    {
      name: 'keep previous',
      inputs: { 'keep-previous': 'true' },
      check: (p) => expect(p.deploy.keepPrevious).toBe(true),
    },
    {
      name: 'rollback-on-failure boolean',
      inputs: { 'rollback-on-failure': 'sure' },
      error: ['rollback-on-failure', /'true' and 'false'/],
    },
    { name: 'keep failed', inputs: { 'keep-failed': 'true' }, check: (p) => expect(p.deploy.keepFailed).toBe(true) },
    { name: 'log lines range', inputs: { 'log-lines': '0' }, error: ['log-lines', /from 1 to 10000/] },
    { name: 'timeout duration', inputs: { timeout: '45m' }, check: (p) => expect(p.deploy.timeoutMs).toBe(2_700_000) },
    { name: 'expose key', inputs: { 'expose-key': 'true' }, check: (p) => expect(p.deploy.exposeKey).toBe(true) },
    {
      name: 'delete endpoint',
      inputs: { delete: 'endpoint', model: '' },
      check: (p) => expect(p.operation).toBe('delete-endpoint'),
    },
    {
      name: 'delete deployment needs its name',
      inputs: { delete: 'deployment' },
      error: ['deployment', /required with 'delete: deployment'/],
    },
    { name: 'unknown delete mode', inputs: { delete: 'all' }, error: ['delete', /'endpoint', 'deployment'/] },
    {
      name: 'local keep-alive and port',
      inputs: { target: 'local', model: 'model.onnx', 'local-keep-alive': 'false', 'local-port': '8089' },
      check: (p) => expect(p.deploy).toMatchObject({ localKeepAlive: false, localPort: 8089 }),
    },
    { name: 'local port range', inputs: { 'local-port': '70000' }, error: ['local-port', /from 0 to 65535/] },
    { name: 'no smoke test without payload', inputs: {}, check: (p) => expect(p.deploy.smokeTest).toBeUndefined() },
    {
      name: 'smoke test settings under the prefix',
      inputs: {
        'smoke-test-payload': 'payload.json',
        'smoke-test-p95-ms': '300',
        'smoke-test-requests': '50',
        'smoke-test-concurrency': '8',
        'smoke-test-expect-json': '$.outputs.output exists',
        'smoke-test-method': 'PUT',
        'smoke-test-headers': 'x-trace=1',
        'smoke-test-expect-status': '201',
        'smoke-test-expect-body': 'output',
        'smoke-test-p99-ms': '900',
        'smoke-test-max-error-rate': '0.1',
        'smoke-test-request-timeout': '5s',
        'smoke-test-warmup': '3',
        'smoke-test-wait-ready': '1m',
      },
      check: (p) =>
        expect(p.deploy.smokeTest).toMatchObject({
          p95Ms: 300,
          p99Ms: 900,
          method: 'PUT',
          expectStatus: 201,
          maxErrorRate: 0.1,
          warmup: 3,
          waitReadyMs: 60_000,
          requestTimeoutMs: 5000,
          headers: { 'x-trace': '1' },
          load: { mode: 'requests', requests: 50, concurrency: 8 },
        }),
    },
    {
      name: 'smoke test duration and rate',
      inputs: { 'smoke-test-payload': '{"inputs":{}}', 'smoke-test-duration': '10s', 'smoke-test-rate': '20' },
      check: (p) =>
        expect(p.deploy.smokeTest.load).toEqual({ mode: 'duration', durationMs: 10_000, rate: 20, concurrency: 4 }),
    },
    {
      name: 'smoke test duration without rate',
      inputs: { 'smoke-test-payload': 'payload.json', 'smoke-test-duration': '10s' },
      error: ['smoke-test-rate', /required together with 'smoke-test-duration'/],
    },
    {
      name: 'smoke test bad p95',
      inputs: { 'smoke-test-payload': 'payload.json', 'smoke-test-p95-ms': '-1' },
      error: ['smoke-test-p95-ms', /number from/],
    },
    {
      name: 'smoke test bad JSONPath line',
      inputs: { 'smoke-test-payload': 'payload.json', 'smoke-test-expect-json': 'outputs > 1' },
      error: ['smoke-test-expect-json', /must start with '\$'/],
    },
    {
      name: 'smoke test bad regex',
      inputs: { 'smoke-test-payload': 'payload.json', 'smoke-test-expect-body': '(' },
      error: ['smoke-test-expect-body', /not a valid regular expression/],
    },
    {
      name: 'smoke test inline JSON that does not parse',
      inputs: { 'smoke-test-payload': '{"inputs": ' },
      error: ['smoke-test-payload', /does not parse/],
    },
    {
      name: 'smoke test rate range',
      inputs: { 'smoke-test-payload': 'payload.json', 'smoke-test-duration': '1s', 'smoke-test-rate': '0' },
      error: ['smoke-test-rate', /number from 0.01/],
    },
    {
      name: 'smoke test unknown method',
      inputs: { 'smoke-test-payload': 'payload.json', 'smoke-test-method': 'TRACE' },
      error: ['smoke-test-method', /'POST', 'GET'/],
    },
    {
      name: 'smoke test header names',
      inputs: { 'smoke-test-payload': 'payload.json', 'smoke-test-headers': 'bad header=1' },
      error: ['smoke-test-headers', /header names/],
    },
    {
      name: 'smoke test status range',
      inputs: { 'smoke-test-payload': 'payload.json', 'smoke-test-expect-status': '999' },
      error: ['smoke-test-expect-status', /from 100 to 599/],
    },
    {
      name: 'smoke test p99',
      inputs: { 'smoke-test-payload': 'payload.json', 'smoke-test-p99-ms': 'fast' },
      error: ['smoke-test-p99-ms', /number/],
    },
    {
      name: 'smoke test error rate range',
      inputs: { 'smoke-test-payload': 'payload.json', 'smoke-test-max-error-rate': '2' },
      error: ['smoke-test-max-error-rate', /from 0 to 1/],
    },
    {
      name: 'smoke test requests range',
      inputs: { 'smoke-test-payload': 'payload.json', 'smoke-test-requests': '0' },
      error: ['smoke-test-requests', /from 1/],
    },
    {
      name: 'smoke test concurrency range',
      inputs: { 'smoke-test-payload': 'payload.json', 'smoke-test-concurrency': '5000' },
      error: ['smoke-test-concurrency', /from 1 to 1024/],
    },
    {
      name: 'smoke test request timeout',
      inputs: { 'smoke-test-payload': 'payload.json', 'smoke-test-request-timeout': 'soon' },
      error: ['smoke-test-request-timeout', /duration/],
    },
    {
      name: 'smoke test warmup range',
      inputs: { 'smoke-test-payload': 'payload.json', 'smoke-test-warmup': '-1' },
      error: ['smoke-test-warmup', /whole number/],
    },
    {
      name: 'smoke test wait-ready',
      inputs: { 'smoke-test-payload': 'payload.json', 'smoke-test-wait-ready': '2d' },
      error: ['smoke-test-wait-ready', /duration/],
    },
  ],
  'action-deploy/smoke-test': [
    {
      name: 'scoring URI with key: no login needed',
      inputs: { key: 'k-123', deployment: 'blue' },
      env: { AZURE_SUBSCRIPTION_ID: undefined },
      check: (p) => expect(p.target).toMatchObject({ kind: 'uri', key: 'k-123', deployment: 'blue' }),
    },
    {
      name: 'endpoint with login',
      inputs: { 'scoring-uri': '', endpoint: 'vad-prod' },
      check: (p) => expect(p.target).toMatchObject({ kind: 'endpoint', endpoint: 'vad-prod' }),
    },
    {
      name: 'neither endpoint nor scoring-uri',
      inputs: { 'scoring-uri': '' },
      error: ['endpoint', /exactly one of 'endpoint'/],
    },
    {
      name: 'both endpoint and scoring-uri',
      inputs: { endpoint: 'vad-prod' },
      error: ['scoring-uri', /exactly one of 'endpoint'/],
    },
    {
      name: 'scoring-uri must be http(s)',
      inputs: { 'scoring-uri': 'ftp://x' },
      error: ['scoring-uri', /http:\/\/ or https:\/\//],
    },
    {
      name: 'scoring-uri over http to another host needs allow-insecure-http',
      inputs: { 'scoring-uri': 'http://10.0.0.4/score', key: 'k-123' },
      error: ['scoring-uri', /allow-insecure-http: true/],
    },
    {
      name: 'allow-insecure-http lets http to another host through',
      inputs: { 'scoring-uri': 'http://10.0.0.4/score', key: 'k-123', 'allow-insecure-http': 'true' },
      check: (p) => expect(p.target).toMatchObject({ kind: 'uri', scoringUri: 'http://10.0.0.4/score' }),
    },
    {
      name: 'key with endpoint is refused, and hidden',
      inputs: { 'scoring-uri': '', endpoint: 'vad-prod', key: 'k-secret' },
      error: ['key', /\(hidden\)/],
    },
    { name: 'payload required', inputs: { payload: '' }, error: ['payload', /required/] },
    {
      name: 'payload folder of cases',
      inputs: { payload: 'cases' },
      check: (p) => expect(p.settings.payload).toEqual({ kind: 'directory', path: path.join(ws, 'cases') }),
    },
    {
      name: 'payload inline',
      inputs: { payload: '{"inputs": {"x": [1]}}' },
      check: (p) => expect(p.settings.payload).toEqual({ kind: 'inline-text', text: '{"inputs": {"x": [1]}}' }),
    },
    { name: 'method', inputs: { method: 'GET' }, check: (p) => expect(p.settings.method).toBe('GET') },
    {
      name: 'headers',
      inputs: { headers: '{"x-a": "1"}' },
      check: (p) => expect(p.settings.headers).toEqual({ 'x-a': '1' }),
    },
    { name: 'expect-status', inputs: { 'expect-status': 'ok' }, error: ['expect-status', /whole number/] },
    {
      name: 'expect-json lines',
      inputs: { 'expect-json': '$.outputs.output[0][0] < 1\n$.outputs exists\n$.model ~= ^vad\n$.n == 3' },
      check: (p) =>
        expect(p.settings.expectJson.map((e: { operator: string }) => e.operator)).toEqual(['<', 'exists', '~=', '==']),
    },
    {
      name: 'expect-json comparison needs a number',
      inputs: { 'expect-json': '$.a < big' },
      error: ['expect-json', /compares numbers/],
    },
    {
      name: 'expect-json exists takes no value',
      inputs: { 'expect-json': '$.a exists 1' },
      error: ['expect-json', /'exists' takes no value/],
    },
    {
      name: 'expect-body regex',
      inputs: { 'expect-body': '[' },
      error: ['expect-body', /not a valid regular expression/],
    },
    {
      name: 'p95 and p99 budgets',
      inputs: { 'p95-ms': '250', 'p99-ms': '400.5' },
      check: (p) => expect(p.settings).toMatchObject({ p95Ms: 250, p99Ms: 400.5 }),
    },
    { name: 'p99 invalid', inputs: { 'p99-ms': '0' }, error: ['p99-ms', /number from/] },
    { name: 'p95 invalid', inputs: { 'p95-ms': 'x' }, error: ['p95-ms', /number from/] },
    { name: 'max error rate', inputs: { 'max-error-rate': '-0.1' }, error: ['max-error-rate', /from 0 to 1/] },
    {
      name: 'requests and concurrency',
      inputs: { requests: '100', concurrency: '10' },
      check: (p) => expect(p.settings.load).toEqual({ mode: 'requests', requests: 100, concurrency: 10 }),
    },
    { name: 'requests invalid', inputs: { requests: 'many' }, error: ['requests', /whole number/] },
    { name: 'concurrency invalid', inputs: { concurrency: '0' }, error: ['concurrency', /from 1/] },
    { name: 'duration without rate', inputs: { duration: '5s' }, error: ['rate', /required together with 'duration'/] },
    { name: 'rate without duration', inputs: { rate: '5' }, error: ['duration', /required together with 'rate'/] },
    {
      name: 'request timeout',
      inputs: { 'request-timeout': '500ms' },
      check: (p) => expect(p.settings.requestTimeoutMs).toBe(500),
    },
    { name: 'warmup', inputs: { warmup: '5' }, check: (p) => expect(p.settings.warmup).toBe(5) },
    { name: 'wait-ready', inputs: { 'wait-ready': '0' }, check: (p) => expect(p.settings.waitReadyMs).toBe(0) },
  ],
  'action-pipeline': [
    {
      name: 'a job file with defaults',
      inputs: {},
      check: (p) =>
        expect(p).toMatchObject({
          run: true,
          wait: true,
          timeoutMs: 7_200_000,
          cancelOnTimeout: true,
          streamLogs: false,
          experiment: 'octo-repo',
          publish: undefined,
        }),
    },
    { name: 'job must be YAML', inputs: { job: 'pipelines/notes.txt' }, error: ['job', /\.yml or \.yaml/] },
    { name: 'job must exist', inputs: { job: 'pipelines/missing.yml' }, error: ['job', /nothing exists/] },
    { name: 'job required to run', inputs: { job: '' }, error: ['job', /required to run/] },
    {
      name: 'overrides',
      inputs: { set: 'inputs.learning_rate=0.01\njobs.train.compute=gpu' },
      check: (p) =>
        expect(p.overrides).toEqual([
          { path: 'inputs.learning_rate', value: '0.01' },
          { path: 'jobs.train.compute', value: 'gpu' },
        ]),
    },
    { name: 'override syntax', inputs: { set: 'learning rate 0.01' }, error: ['set', /path.inside.job=value/] },
    {
      name: 'publish with component name and version',
      inputs: { publish: 'true', 'component-name': 'train-pipeline', 'component-version': '3' },
      check: (p) => expect(p.publish).toEqual({ componentName: 'train-pipeline', componentVersion: '3' }),
    },
    { name: 'publish not a boolean', inputs: { publish: 'yes' }, error: ['publish', /'true' and 'false'/] },
    {
      name: 'component name rule',
      inputs: { publish: 'true', 'component-name': 'bad name' },
      error: ['component-name', /letters, digits/],
    },
    {
      name: 'component version rule',
      inputs: { publish: 'true', 'component-version': '!' },
      error: ['component-version', /'auto'/],
    },
    {
      name: 'component name without publish',
      inputs: { 'component-name': 'train' },
      error: ['component-name', /applies when 'publish' is true/],
    },
    {
      name: 'schedule with IANA time zone converted to Windows',
      inputs: {
        publish: 'true',
        schedule: '0 2 * * 1-5',
        'schedule-time-zone': 'Europe/Berlin',
        'schedule-name': 'nightly',
      },
      check: (p) =>
        expect(p.schedule).toEqual({
          cron: '0 2 * * 1-5',
          timeZone: 'W. Europe Standard Time',
          timeZoneInput: 'Europe/Berlin',
          name: 'nightly',
        }),
    },
    {
      name: 'schedule with a Windows time zone',
      inputs: { publish: 'true', schedule: '*/15 * * * *', 'schedule-time-zone': 'Pacific Standard Time' },
      check: (p) => expect(p.schedule.timeZone).toBe('Pacific Standard Time'),
    },
    { name: 'schedule needs publish', inputs: { schedule: '0 2 * * *' }, error: ['schedule', /set 'publish: true'/] },
    {
      name: 'cron with four fields',
      inputs: { publish: 'true', schedule: '0 2 * *' },
      error: ['schedule', /five fields/],
    },
    {
      name: 'cron hour out of range',
      inputs: { publish: 'true', schedule: '0 25 * * *' },
      error: ['schedule', /hour field '25'/],
    },
    {
      name: 'unknown time zone',
      inputs: { publish: 'true', schedule: '0 2 * * *', 'schedule-time-zone': 'Mars/Olympus' },
      error: ['schedule-time-zone', /IANA time zone/],
    },
    {
      name: 'schedule name rule',
      inputs: { publish: 'true', schedule: '0 2 * * *', 'schedule-name': 'a b' },
      error: ['schedule-name', /letters, digits/],
    },
    { name: 'run false', inputs: { run: 'false' }, check: (p) => expect(p.run).toBe(false) },
    { name: 'run not a boolean', inputs: { run: 'later' }, error: ['run', /'true' and 'false'/] },
    {
      name: 'experiment name',
      inputs: { experiment: 'vad-training' },
      check: (p) => expect(p.experiment).toBe('vad-training'),
    },
    {
      name: 'experiment rule',
      inputs: { experiment: '-bad' },
      error: ['experiment', /starting with a letter or digit/],
    },
    {
      name: 'display name',
      inputs: { 'display-name': 'train @ abc123' },
      check: (p) => expect(p.displayName).toBe('train @ abc123'),
    },
    {
      name: 'display name too long',
      inputs: { 'display-name': 'x'.repeat(256) },
      error: ['display-name', /at most 255/],
    },
    { name: 'wait false', inputs: { wait: 'false' }, check: (p) => expect(p.wait).toBe(false) },
    { name: 'timeout', inputs: { timeout: '0' }, error: ['timeout', /from 1s/] },
    {
      name: 'cancel on timeout',
      inputs: { 'cancel-on-timeout': 'false' },
      check: (p) => expect(p.cancelOnTimeout).toBe(false),
    },
    { name: 'stream logs', inputs: { 'stream-logs': 'true' }, check: (p) => expect(p.streamLogs).toBe(true) },
    {
      name: 'create a min-0 cluster only',
      inputs: {
        job: '',
        compute: 'cpu-cluster',
        'create-compute': 'true',
        'vm-size': 'Standard_D2_v3',
        'max-nodes': '2',
        'idle-time-before-scale-down': '10m',
        tier: 'low-priority',
      },
      check: (p) =>
        expect(p).toMatchObject({
          run: false,
          compute: {
            name: 'cpu-cluster',
            create: true,
            vmSize: 'Standard_D2_v3',
            minNodes: 0,
            maxNodes: 2,
            idleTimeBeforeScaleDownMs: 600_000,
            tier: 'low-priority',
          },
        }),
    },
    {
      name: 'create-compute needs compute',
      inputs: { 'create-compute': 'true' },
      error: ['compute', /required with 'create-compute: true'/],
    },
    { name: 'compute name rule', inputs: { compute: 'c' }, error: ['compute', /2-16 characters/] },
    { name: 'vm size rule', inputs: { compute: 'cpu-cluster', 'vm-size': 'a b' }, error: ['vm-size', /VM size/] },
    {
      name: 'min above max nodes',
      inputs: { compute: 'cpu-cluster', 'min-nodes': '5', 'max-nodes': '2' },
      error: ['min-nodes', /must not exceed max-nodes/],
    },
    {
      name: 'max nodes range',
      inputs: { compute: 'cpu-cluster', 'max-nodes': '0' },
      error: ['max-nodes', /from 1 to 1000/],
    },
    {
      name: 'idle time',
      inputs: { compute: 'cpu-cluster', 'idle-time-before-scale-down': 'forever' },
      error: ['idle-time-before-scale-down', /duration/],
    },
    {
      name: 'unknown tier',
      inputs: { compute: 'cpu-cluster', tier: 'spot' },
      error: ['tier', /'dedicated', 'low-priority'/],
    },
    {
      name: 'register best model as',
      inputs: { 'register-best-model-as': 'churn-best' },
      check: (p) => expect(p.registerBestModelAs).toBe('churn-best'),
    },
    {
      name: 'register best model name rule',
      inputs: { 'register-best-model-as': 'churn best' },
      error: ['register-best-model-as', /letters, digits/],
    },
  ],
};

describe.each(Object.keys(ACTIONS))('%s inputs', (action) => {
  it.each(COMMON_CASES.map((c) => [c.name, c] as const))('common: %s', (_name, testCase) =>
    runCase(action, { ...testCase, inputs: { ...ACTIONS[action]?.loginBase, ...testCase.inputs } }),
  );
  it.each((CASES[action] ?? []).map((c) => [c.name, c] as const))('%s', (_name, testCase) => runCase(action, testCase));

  it('covers every input declared in action.yml', () => {
    const declared = Object.keys(actionManifest(action).inputs);
    const exercised = new Set([...(CASES[action] ?? []), ...COMMON_CASES].flatMap((c) => Object.keys(c.inputs)));
    for (const name of Object.keys(ACTIONS[action]?.base ?? {})) exercised.add(name);
    expect(declared.filter((name) => !exercised.has(name))).toEqual([]);
  });

  it('reads no input that action.yml does not declare, and declares none it never reads', () => {
    const declared = Object.keys(actionManifest(action).inputs).sort();
    const spec = ACTIONS[action];
    if (!spec) throw new Error(action);
    // The union of the names read over every case is what the parser can ever read.
    const read = new Set<string>();
    const commonCases = COMMON_CASES.map((c) => ({ ...c, inputs: { ...spec.loginBase, ...c.inputs } }));
    for (const testCase of [...commonCases, ...(CASES[action] ?? [])]) {
      const reader = new InputReader(inputsFromRecord({ ...spec.base, ...testCase.inputs }, LOGIN_ENV));
      try {
        spec.read(reader);
      } catch {
        // failing cases still record what they read before failing
      }
      for (const name of reader.namesRead) read.add(name);
    }
    expect([...read].filter((name) => !declared.includes(name))).toEqual([]);
    expect(declared.filter((name) => !read.has(name))).toEqual([]);
  });

  it('parses the action.yml defaults to the same settings as leaving them empty', () => {
    const spec = ACTIONS[action];
    if (!spec) throw new Error(action);
    const defaults = Object.fromEntries(
      Object.entries(actionManifest(action).inputs as Record<string, { default?: string }>)
        .filter(([, input]) => input.default !== undefined)
        .map(([name, input]) => [name, String(input.default)]),
    );
    const withDefaults = spec.read(new InputReader(inputsFromRecord({ ...defaults, ...spec.base }, LOGIN_ENV)));
    const without = spec.read(new InputReader(inputsFromRecord(spec.base, LOGIN_ENV)));
    expect(withDefaults).toEqual(without);
  });
});
