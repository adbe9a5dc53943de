// Reliability, hostile and bad inputs (issue #12): a table-driven fuzz of every input of every
// action, read from each action.yml. Every case runs the built bundle the way the runner does, with
// the login pointed at a TCP port that counts connections, and expects:
//   - a refused value: exit 1 and one clear error that names the input (no stack, bounded length);
//   - an accepted value (free text, secrets): exit 0 in dry-run;
//   - either way: no connection at all (so zero ARM writes), and no workflow command, output or
//     environment variable injected through the value.
// Each action's own inputs get the hostile values of their kind (empty, huge, unicode, ../, absolute
// paths, symlinks out of the workspace, newline injection, bad JSON/JSONPath/regex, negative and huge
// numbers, YAML bombs); inputs read by a shared parser on another action (the common login inputs,
// action-deploy's smoke-test-* inputs) get the newline injection there. A few values that a real run
// echoes are also tried against the emulator.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../../emulator/index.js';
import { start } from '../emulator/helpers.js';
import { actionManifest, visibleParts, type ActionRun } from '../harness/runAction.js';
import {
  act,
  connectionCounter,
  errorsOf,
  HOSTILE_VALUE,
  INJECTION_MARK,
  injectionsOf,
  isArmWrite,
  lastError,
  mapLimited,
  reliabilityCase,
  requestLog,
  secretsScanCase,
  writeFigures,
} from './support.js';

const workspace = mkdtempSync(path.join(os.tmpdir(), 'reliability-inputs-'));

// ---------------------------------------------------------------------------------------------
// Hostile values.
// ---------------------------------------------------------------------------------------------

const NEWLINE = HOSTILE_VALUE;
const HUGE = 'a'.repeat(100_000);
const UNICODE = 'modèle-😀-\u202eetc';
const TRAVERSAL = '../../../../../../etc/passwd';
const ABSOLUTE = '/etc/passwd';
const ABSOLUTE_DIR = '/etc';
const LINK_FILE = 'link-out-file';
const LINK_DIR = 'link-out-dir';

type Expect = 'reject' | 'accept';
interface Variant {
  label: string;
  value: string;
  expect: Expect;
}

const v = (label: string, value: string, expect: Expect = 'reject'): Variant => ({ label, value, expect });
const newline = (expect: Expect = 'reject') => v('newline injection', NEWLINE, expect);

/**
 * The hostile values of each kind of input, besides the newline injection every input gets. Kinds
 * whose parser is one shared function (booleans, enumerations, numbers, names) rotate through their
 * values: each input gets the next one, so the kind's whole list is tried across the action's inputs.
 */
const KINDS = {
  name: [v('huge', HUGE), v('unicode', UNICODE), v('../ traversal', '../other')],
  optionalName: [v('unicode', UNICODE), v('../ traversal', '../other'), v('huge', HUGE)],
  requiredName: [v('empty', ''), v('huge', HUGE), v('unicode', UNICODE)],
  guid: [v('not a GUID', 'not-a-guid')],
  enum: [],
  bool: [],
  int: [v('negative', '-1'), v('huge number', '99999999999999999999'), v('fraction', '1.5'), v('hex', '0x10')],
  number: [v('negative', '-1'), v('huge number', '1e309'), v('not a number', 'NaN')],
  duration: [v('negative', '-5s'), v('huge', '99999999h'), v('not a duration', 'forever')],
  pathFile: [v('../ traversal', TRAVERSAL), v('absolute outside', ABSOLUTE), v('symlink out', LINK_FILE)],
  pathDir: [v('../ traversal', '../../../../..'), v('absolute outside', ABSOLUTE_DIR), v('symlink out', LINK_DIR)],
  secret: [v('huge', HUGE, 'accept')],
  text: [v('unicode', UNICODE, 'accept')],
  keyValue: [v('invalid JSON', '{"a": '), v('line without =', 'novalue'), v('nested JSON', '{"a":{"b":1}}')],
  jsonPath: [v('invalid JSONPath', '$.outputs[0 >= 1'), v('no $', 'outputs.x > 1')],
  regex: [v('invalid regex', '('), v('invalid range', '[z-a]')],
  payload: [
    v('invalid JSON', '{"inputs": '),
    v('../ traversal', TRAVERSAL),
    v('absolute outside', ABSOLUTE),
    v('symlink out', LINK_FILE),
    v('deeply nested JSON', `${'['.repeat(10_000)}${']'.repeat(10_000)}`, 'accept'),
  ],
  headers: [v('CR LF in a header value', '{"X-Probe":"a\\r\\nInjected-Header: 1"}'), v('invalid JSON', '{"a": ')],
  scoringUri: [v('file URL', 'file:///etc/passwd'), v('http to another host', 'http://scoring.example/score')],
  url: [v('http', 'http://127.0.0.1:9'), v('file URL', 'file:///etc/passwd')],
  template: [v('no {account}', 'https://storage.example.com')],
  tenant: [v('not a tenant', 'not a tenant!')],
  image: [v('huge', HUGE), v('upper case and path', 'UPPER/Image:latest')],
  model: [v('../ traversal', 'azureml:../other:1')],
  environmentRef: [v('../ traversal', 'azureml:../other:1')],
  list: [v('negative', '-10,100')],
  cron: [v('minute 61', '61 * * * *')],
  timeZone: [v('../ traversal', '../../../../etc/localtime')],
  overrides: [v('__proto__ path', '__proto__.polluted=1', 'reject')],
  scoringScript: [v('../ traversal', '../../../../etc/x.py')],
  job: [
    v('../ traversal', '../../../../etc/passwd.yml'),
    v('absolute outside', '/etc/hostname.yml'),
    v('symlink out', 'link-out.yml'),
    v('not YAML', 'notes.txt'),
  ],
} satisfies Record<string, Variant[]>;
/** Kinds that rotate (one value per input); the others try every value on every input. */
const ROTATING = new Set<string>([
  'name',
  'optionalName',
  'int',
  'number',
  'duration',
  'keyValue',
  'regex',
  'image',
  'url',
]);
type Kind = keyof typeof KINDS;

interface InputSpec {
  kind: Kind;
  /** Inputs that put this one into effect (e.g. kind: environment for 'image'). */
  context?: Record<string, string>;
  /** The newline injection is accepted (free text, secrets). */
  newlineAccepted?: boolean;
  /** Only the newline injection: the input's parser is fuzzed fully on another action. */
  newlineOnly?: boolean;
  /** Same parser and same name on action-register, where the table tries it. */
  coveredElsewhere?: boolean;
  /** The refusal names the input this way (default: starts with "Input '<name>' "). */
  names?: RegExp;
}

const COMMON: Record<string, InputSpec> = {
  'client-id': { kind: 'guid' },
  'tenant-id': { kind: 'tenant' },
  'subscription-id': { kind: 'guid' },
  'client-secret': { kind: 'secret', newlineAccepted: true },
  'auth-type': { kind: 'enum' },
  audience: { kind: 'text', newlineAccepted: true },
  cloud: { kind: 'enum' },
  'arm-endpoint': { kind: 'url' },
  'authority-host': { kind: 'url' },
  'storage-url-template': { kind: 'template' },
  'resource-group': { kind: 'name' },
  workspace: { kind: 'name' },
  'dry-run': { kind: 'bool' },
};

/**
 * The common inputs are read by one function (shared/azure/settings.ts) for every action: the full
 * table runs on action-register; on the others they are listed as covered there.
 */
const COVERED_ON_REGISTER: Record<string, InputSpec> = Object.fromEntries(
  Object.entries(COMMON).map(([name, spec]) => [name, { ...spec, coveredElsewhere: true }]),
);

const SMOKE: Record<string, InputSpec> = {
  payload: { kind: 'payload' },
  method: { kind: 'enum' },
  headers: { kind: 'headers' },
  'expect-status': { kind: 'int' },
  'expect-json': { kind: 'jsonPath' },
  'expect-body': { kind: 'regex', newlineAccepted: true },
  'p95-ms': { kind: 'number' },
  'p99-ms': { kind: 'number' },
  'max-error-rate': { kind: 'number' },
  requests: { kind: 'int' },
  concurrency: { kind: 'int' },
  duration: { kind: 'duration', context: { rate: '1' } },
  rate: { kind: 'number', context: { duration: '1s' } },
  'request-timeout': { kind: 'duration' },
  warmup: { kind: 'int' },
  'wait-ready': { kind: 'duration' },
};

interface ActionSpec {
  action: string;
  base: Record<string, string>;
  inputs: Record<string, InputSpec>;
}

const AKS = { target: 'aks', compute: 'aks-attached' };
const GATE = { 'smoke-test-payload': '{"x":1}' };

const ACTIONS: ActionSpec[] = [
  {
    action: 'action-register',
    base: { name: 'fuzz-asset', path: 'models/m.onnx', 'dry-run': 'true' },
    inputs: {
      ...COMMON,
      kind: { kind: 'enum' },
      name: { kind: 'requiredName' },
      path: { kind: 'pathFile' },
      version: { kind: 'name' },
      description: { kind: 'text', newlineAccepted: true },
      tags: { kind: 'keyValue' },
      properties: { kind: 'keyValue' },
      'model-type': { kind: 'enum' },
      'data-type': { kind: 'enum', context: { kind: 'data', path: 'dataset' } },
      image: { kind: 'image', context: { kind: 'environment', path: '' } },
      'conda-file': {
        kind: 'pathFile',
        context: { kind: 'environment', path: '', image: 'mcr.microsoft.com/azureml/minimal:latest' },
      },
      dedupe: { kind: 'bool' },
      'lineage-tags': { kind: 'bool' },
      datastore: { kind: 'name' },
    },
  },
  {
    action: 'action-deploy',
    base: { endpoint: 'fuzz-ep', model: 'azureml:m:1', 'dry-run': 'true' },
    inputs: {
      ...COVERED_ON_REGISTER,
      target: { kind: 'enum' },
      endpoint: { kind: 'requiredName' },
      deployment: { kind: 'optionalName' },
      model: { kind: 'model' },
      environment: { kind: 'environmentRef' },
      'code-path': { kind: 'pathDir', context: { 'scoring-script': 'score.py' } },
      'scoring-script': { kind: 'scoringScript', context: { 'code-path': 'code' } },
      'conda-file': { kind: 'pathFile', context: { target: 'local', model: 'models/m.onnx' } },
      'environment-variables': { kind: 'keyValue' },
      'instance-type': { kind: 'image' },
      'instance-count': { kind: 'int' },
      compute: { kind: 'optionalName', context: { target: 'aks' } },
      'min-instances': { kind: 'int', context: { ...AKS, 'max-instances': '3' } },
      'max-instances': { kind: 'int', context: AKS },
      'target-utilization': { kind: 'int', context: { ...AKS, 'max-instances': '3' } },
      'auth-mode': { kind: 'enum' },
      strategy: { kind: 'enum' },
      'traffic-steps': { kind: 'list', context: { strategy: 'canary' } },
      'app-insights': { kind: 'bool' },
      'request-timeout': { kind: 'duration' },
      'max-concurrent-requests': { kind: 'int' },
      'liveness-probe': { kind: 'keyValue' },
      'readiness-probe': { kind: 'keyValue' },
      'keep-previous': { kind: 'bool' },
      'rollback-on-failure': { kind: 'bool' },
      'keep-failed': { kind: 'bool' },
      'log-lines': { kind: 'int' },
      timeout: { kind: 'duration' },
      'expose-key': { kind: 'bool' },
      delete: { kind: 'enum' },
      'local-keep-alive': { kind: 'bool', context: { target: 'local', model: 'models/m.onnx' } },
      'local-port': { kind: 'int', context: { target: 'local', model: 'models/m.onnx' } },
      ...Object.fromEntries(
        Object.entries(SMOKE).map(([name, spec]) => [
          `smoke-test-${name}`,
          {
            ...spec,
            newlineOnly: true,
            context: {
              ...GATE,
              ...Object.fromEntries(Object.entries(spec.context ?? {}).map(([k, val]) => [`smoke-test-${k}`, val])),
            },
          },
        ]),
      ),
    },
  },
  {
    action: 'action-deploy/smoke-test',
    base: { endpoint: 'fuzz-ep', payload: '{"x":1}', 'dry-run': 'true' },
    inputs: {
      ...COVERED_ON_REGISTER,
      ...SMOKE,
      endpoint: { kind: 'optionalName' },
      'scoring-uri': { kind: 'scoringUri', context: { endpoint: '' } },
      key: { kind: 'secret', newlineAccepted: true, context: { endpoint: '', 'scoring-uri': 'http://127.0.0.1:9/s' } },
      'allow-insecure-http': { kind: 'bool' },
      deployment: { kind: 'optionalName' },
    },
  },
  {
    action: 'action-pipeline',
    base: { job: 'job.yml', 'dry-run': 'true' },
    inputs: {
      ...COVERED_ON_REGISTER,
      job: { kind: 'job' },
      set: { kind: 'overrides', names: /set '__proto__\.polluted=1'|^Input 'set' / },
      publish: { kind: 'bool' },
      'component-name': { kind: 'optionalName', context: { publish: 'true' } },
      'component-version': { kind: 'name', context: { publish: 'true' } },
      schedule: { kind: 'cron', context: { publish: 'true' } },
      'schedule-time-zone': { kind: 'timeZone', context: { publish: 'true', schedule: '0 2 * * *' } },
      'schedule-name': { kind: 'optionalName', context: { publish: 'true', schedule: '0 2 * * *' } },
      run: { kind: 'bool' },
      experiment: { kind: 'name' },
      'display-name': { kind: 'text', newlineAccepted: true },
      wait: { kind: 'bool' },
      timeout: { kind: 'duration' },
      'cancel-on-timeout': { kind: 'bool' },
      'stream-logs': { kind: 'bool' },
      compute: { kind: 'optionalName' },
      'create-compute': { kind: 'bool', context: { compute: 'cpu' } },
      'vm-size': { kind: 'image', context: { compute: 'cpu', 'create-compute': 'true' } },
      'min-nodes': { kind: 'int', context: { compute: 'cpu', 'create-compute': 'true' } },
      'max-nodes': { kind: 'int', context: { compute: 'cpu', 'create-compute': 'true' } },
      'idle-time-before-scale-down': { kind: 'duration', context: { compute: 'cpu', 'create-compute': 'true' } },
      tier: { kind: 'enum', context: { compute: 'cpu', 'create-compute': 'true' } },
      'register-best-model-as': { kind: 'optionalName' },
    },
  },
];

/** Real bugs these cases found, by case name (the case stays, marked it.failing; see the report). */
const BUGS: Record<string, string> = {};

interface FuzzCase {
  name: string;
  action: string;
  input: string;
  inputs: Record<string, string>;
  expect: Expect;
  /** For job-file contents: the error names the job file instead of an input. */
  names?: RegExp;
}

function casesOf(spec: ActionSpec): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const turn = new Map<string, number>();
  for (const [input, inputSpec] of Object.entries(spec.inputs)) {
    if (inputSpec.coveredElsewhere) continue;
    const variants: Variant[] = [newline(inputSpec.newlineAccepted ? 'accept' : 'reject')];
    const all: Variant[] = KINDS[inputSpec.kind];
    if (inputSpec.newlineOnly || all.length === 0) {
      // the newline injection only
    } else if (ROTATING.has(inputSpec.kind)) {
      const index = turn.get(inputSpec.kind) ?? 0;
      turn.set(inputSpec.kind, index + 1);
      variants.push(all[index % all.length] as Variant);
    } else variants.push(...all);
    for (const variant of variants) {
      cases.push({
        name: `${spec.action} ${input}: ${variant.label}`,
        action: spec.action,
        input,
        inputs: { ...spec.base, ...inputSpec.context, [input]: variant.value },
        expect: variant.expect,
        ...(inputSpec.names && variant.label !== 'newline injection' ? { names: inputSpec.names } : {}),
      });
    }
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Job files: YAML bombs and paths out of the workspace inside action-pipeline's job file.
// ---------------------------------------------------------------------------------------------

const COMMAND = [
  'type: command',
  'command: python train.py',
  'environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest',
  'compute: azureml:cpu',
];

const BILLION_LAUGHS = [
  ...COMMAND,
  'tags:',
  '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefghi'
    .split('')
    .map(
      (name, i) => `  ${name}: &${name} [${Array.from({ length: 9 }, () => `*${'abcdefghi'[i] ?? 'a'}`).join(',')}]`,
    ),
];

const JOB_FILES: Array<{ file: string; text: string; label: string; expect?: Expect }> = [
  { file: 'bomb.yml', label: 'YAML bomb (billion laughs)', text: BILLION_LAUGHS.join('\n') },
  {
    file: 'deep.yml',
    label: 'YAML nested 5,000 levels deep',
    text: `${COMMAND.join('\n')}\ntags:\n  deep: ${'['.repeat(5000)}${']'.repeat(5000)}`,
  },
  {
    file: 'js-tag.yml',
    label: 'YAML !!js/function tag (kept as text, never run)',
    expect: 'accept',
    text: `${COMMAND.join('\n')}\ndescription: !!js/function 'function(){ process.exit(7) }'`,
  },
  { file: 'empty.yml', label: 'empty job file', text: '' },
  { file: 'binary.yml', label: 'binary job file', text: '\u0000\u0001\u0002\u00ff\ufffe' },
  {
    file: 'code-traversal.yml',
    label: "'code:' ../ out of the workspace",
    text: [...COMMAND, 'code: ../../../../../../etc'].join('\n'),
  },
  {
    file: 'code-absolute.yml',
    label: "'code:' absolute outside",
    text: [...COMMAND, 'code: /etc'].join('\n'),
  },
  {
    file: 'code-symlink.yml',
    label: "'code:' a symlink out of the workspace",
    text: [...COMMAND, `code: ./${LINK_DIR}`].join('\n'),
  },
  {
    file: 'input-absolute.yml',
    label: 'a local data input outside the workspace (absolute)',
    text: [...COMMAND, 'inputs:', '  data:', '    type: uri_file', '    path: /etc/hostname'].join('\n'),
  },
  {
    file: 'input-traversal.yml',
    label: 'a local data input ../ out of the workspace',
    text: [...COMMAND, 'inputs:', '  data:', '    type: uri_folder', '    path: ../../../../../../etc'].join('\n'),
  },
  {
    file: 'input-symlink.yml',
    label: 'a local data input through a symlink out of the workspace',
    text: [...COMMAND, 'inputs:', '  data:', '    type: uri_file', `    path: ./${LINK_FILE}`].join('\n'),
  },
  {
    file: 'component-outside.yml',
    label: 'a pipeline step component file outside the workspace',
    text: [
      'type: pipeline',
      'settings:',
      '  default_compute: azureml:cpu',
      'jobs:',
      '  step:',
      '    component: file:../../../../../../etc/passwd',
    ].join('\n'),
  },
  {
    file: 'injection.yml',
    label: 'a display name with a workflow command',
    expect: 'accept',
    text: [...COMMAND, `display_name: "x\\n::error::${INJECTION_MARK} by a value"`].join('\n'),
  },
];

function jobFileCases(): FuzzCase[] {
  return JOB_FILES.map(({ file, label, expect }) => ({
    name: `action-pipeline job file: ${label}`,
    action: 'action-pipeline',
    input: 'job',
    inputs: { job: file, 'dry-run': 'true' },
    expect: expect ?? 'reject',
    names: new RegExp(file.replace('.', '\\.')),
  }));
}

// ---------------------------------------------------------------------------------------------
// Running the table.
// ---------------------------------------------------------------------------------------------

/** Paths in inputs that are only paths in some modes: action-deploy's model with target local. */
const EXTRA_CASES: FuzzCase[] = [
  {
    name: 'action-register path: huge value',
    action: 'action-register',
    input: 'path',
    inputs: { name: 'fuzz-asset', path: HUGE, 'dry-run': 'true' },
    expect: 'reject',
  },
  ...[
    ['../ traversal', TRAVERSAL],
    ['absolute outside', ABSOLUTE],
    ['symlink out', LINK_FILE],
  ].map(([label, value]) => ({
    name: `action-deploy model (target local): ${label}`,
    action: 'action-deploy',
    input: 'model',
    inputs: { endpoint: 'fuzz-ep', target: 'local', model: value ?? '', 'dry-run': 'true' },
    expect: 'reject' as const,
  })),
];

const CASES: FuzzCase[] = [...ACTIONS.flatMap(casesOf), ...EXTRA_CASES, ...jobFileCases()];
const outcomes = new Map<string, { run: ActionRun; connections: number }>();

function loginEnv(port: number): Record<string, string> {
  const local = `https://127.0.0.1:${port}`;
  return {
    AZURE_CLIENT_ID: '11111111-1111-4111-8111-111111111111',
    AZURE_TENANT_ID: '22222222-2222-4222-8222-222222222222',
    AZURE_SUBSCRIPTION_ID: '33333333-3333-4333-8333-333333333333',
    AZURE_RESOURCE_GROUP: 'rg-ml',
    AZUREML_WORKSPACE: 'ws-main',
    AZURE_CLOUD: 'custom',
    AZURE_ARM_ENDPOINT: local,
    AZURE_AUTHORITY_HOST: local,
    ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/token?api-version=2.0`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token-value',
  };
}

function prepareWorkspace(): void {
  mkdirSync(path.join(workspace, 'models'));
  writeFileSync(path.join(workspace, 'models', 'm.onnx'), 'onnx bytes');
  mkdirSync(path.join(workspace, 'dataset'));
  writeFileSync(path.join(workspace, 'dataset', 'a.csv'), 'a\n1\n');
  mkdirSync(path.join(workspace, 'code'));
  writeFileSync(path.join(workspace, 'code', 'score.py'), 'def init():\n  pass\n');
  writeFileSync(path.join(workspace, 'job.yml'), `${COMMAND.join('\n')}\n`);
  writeFileSync(path.join(workspace, 'notes.txt'), 'not a job\n');
  symlinkSync('/etc/hostname', path.join(workspace, LINK_FILE));
  symlinkSync('/etc', path.join(workspace, LINK_DIR));
  symlinkSync('/etc/hostname', path.join(workspace, 'link-out.yml'));
  for (const { file, text } of JOB_FILES) writeFileSync(path.join(workspace, file), text);
}

beforeAll(async () => {
  prepareWorkspace();
  await mapLimited(CASES, 4, async (c) => {
    const counter = await connectionCounter();
    const run = await act(`inputs: ${c.name}`, {
      action: c.action,
      inputs: c.inputs,
      env: loginEnv(counter.port),
      workspace,
      timeoutMs: 60_000,
    });
    outcomes.set(c.name, { run, connections: counter.count() });
    await counter.close();
  });
}, 600_000);

afterAll(() => {
  writeFigures('inputs');
});

describe('the table covers every input of every action', () => {
  for (const spec of ACTIONS) {
    it(spec.action, () => {
      expect(Object.keys(spec.inputs).sort()).toEqual(Object.keys(actionManifest(spec.action).inputs).sort());
    });
  }
});

describe('hostile inputs', () => {
  for (const c of CASES) {
    reliabilityCase(
      'inputs',
      c.name,
      () => {
        const outcome = outcomes.get(c.name);
        expect(outcome).toBeDefined();
        const { run, connections } = outcome as { run: ActionRun; connections: number };
        expect(injectionsOf(run)).toEqual([]);
        expect(connections).toBe(0);
        // A secret input's value is masked, never shown (the huge one is too long to find by accident).
        for (const name of ['client-secret', 'key'])
          if (c.input === name)
            expect(
              visibleParts(run)
                .map((part) => part.text)
                .join('\n'),
            ).not.toContain(c.inputs[name]);
        if (c.expect === 'accept') {
          expect(lastError(run)).toContain('(no error; exit 0)');
          return;
        }
        const error = lastError(run);
        if (c.names) expect(errorsOf(run).join('\n') + JSON.stringify(run.annotations)).toMatch(c.names);
        else expect(error).toMatch(new RegExp(`^Input '${c.input}' `));
        expect(error).not.toMatch(/hit an unexpected error|\n\s+at /);
        // One paragraph a person reads (a job file's summary lists every problem, so it may be longer).
        if (!c.names) expect(error.length).toBeLessThan(2000);
        expect(run.exitCode).toBe(1);
      },
      BUGS[c.name] ? { bug: BUGS[c.name] } : {},
    );
  }
});

// ---------------------------------------------------------------------------------------------
// Values a real run echoes, against the emulator: accepted free text must not inject anything.
// ---------------------------------------------------------------------------------------------

describe('values echoed by real runs', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await start();
  }, 60_000);
  afterAll(async () => {
    await emu?.stop();
  });

  reliabilityCase('inputs', 'action-register: description, tags and properties with workflow commands', async () => {
    const run = await act('inputs: register with hostile free text', {
      action: 'action-register',
      inputs: {
        kind: 'environment',
        name: 'fuzz-env',
        image: 'mcr.microsoft.com/azureml/minimal:latest',
        description: NEWLINE,
        tags: JSON.stringify({ note: NEWLINE, [`k${INJECTION_MARK}`]: 'v' }),
        properties: JSON.stringify({ note: NEWLINE }),
      },
      env: emu.env,
      workspace,
    });
    expect(lastError(run)).toContain('(no error; exit 0)');
    expect(injectionsOf(run)).toEqual([]);
  });

  reliabilityCase(
    'inputs',
    'action-register: a refused login echoes a hostile audience without injecting',
    async () => {
      const run = await act('inputs: register with hostile audience', {
        action: 'action-register',
        inputs: {
          kind: 'environment',
          name: 'fuzz-env',
          image: 'mcr.microsoft.com/azureml/minimal:latest',
          audience: NEWLINE,
        },
        env: emu.env,
        workspace,
      });
      expect(run.exitCode).toBe(1);
      expect(lastError(run)).toMatch(/audience/);
      expect(injectionsOf(run)).toEqual([]);
    },
  );

  reliabilityCase('inputs', 'smoke-test: a script in an expect-json JSONPath is never run', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"a":1}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const run = await act('inputs: smoke-test JSONPath script', {
        action: 'action-deploy/smoke-test',
        inputs: {
          'scoring-uri': `http://127.0.0.1:${(server.address() as AddressInfo).port}/score`,
          payload: '{"x":1}',
          requests: '2',
          'expect-json': '$[?(@.constructor.constructor("return process")().exit(7))] exists',
        },
        workspace,
      });
      // exit 7 would mean the JSONPath ran code; the expectation simply matches nothing.
      expect(run.exitCode).toBe(1);
      expect(lastError(run)).toMatch(/^Smoke test failed against http:\/\/127\.0\.0\.1:\d+\/score/);
      expect(injectionsOf(run)).toEqual([]);
    } finally {
      server.close();
    }
  });

  reliabilityCase('inputs', 'action-register: a folder with a symlink out is refused before any write', async () => {
    mkdirSync(path.join(workspace, 'leaky'));
    writeFileSync(path.join(workspace, 'leaky', 'ok.csv'), 'a\n');
    symlinkSync('/etc/hostname', path.join(workspace, 'leaky', 'secret.txt'));
    const before = (await requestLog(emu)).at(-1)?.id ?? 0;
    const run = await act('inputs: register folder with symlink out', {
      action: 'action-register',
      inputs: { kind: 'data', name: 'leaky', path: 'leaky' },
      env: emu.env,
      workspace,
    });
    expect(lastError(run)).toMatch(/symbolic link 'secret\.txt' points to '\/etc\/hostname', outside the folder/);
    expect(run.exitCode).toBe(1);
    expect((await requestLog(emu, `?since=${before}`)).filter(isArmWrite)).toEqual([]);
  });

  // Last in this describe: after the runs above, the emulator has issued their tokens.
  secretsScanCase(() => emu, ['GitHub ID token', 'Entra access token']);
});
