// `npm run demo` end to end: one run of the demo runner (one emulator) over the example workflows
// and the fixtures beside this file, then checks of its report and its log: every example passes,
// the log shows the model's HTTP response with the key masked, each job logs in with the OIDC
// subject its trigger and environment imply, and broken workflows fail saying where.

import { beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../harness/runAction.js';
import { recordLedger } from '../harness/secretScan.js';

interface Report {
  durationMs: number;
  secretScan: { actionRuns: number; hits: number; issued: Record<string, number> };
  results: Array<{
    file: string;
    event: string;
    passed: boolean;
    durationMs: number;
    secretScan?: { actionRuns: number; secrets: number; hits: number };
    failures: Array<{
      workflow: string;
      job?: string;
      step?: string;
      location: { file: string; line: number; col: number };
      message: string;
    }>;
  }>;
}

const DEMO = path.join(REPO_ROOT, 'scripts', 'demo.mjs');
const EXAMPLES = 'examples/workflows';
const FIXTURES = 'tests/demo/fixtures';

function childEnv(): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _options, ...env } = process.env;
  return env;
}

let code: number;
let log: string;
let report: Report;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'demo-test-'));
  const reportFile = path.join(dir, 'report.json');
  const child = spawn(process.execPath, [DEMO, '--dir', EXAMPLES, '--dir', FIXTURES, '--report', reportFile], {
    cwd: REPO_ROOT,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  code = await new Promise<number>((resolve) => child.on('close', (status) => resolve(status ?? 1)));
  log = output;
  try {
    report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
  } catch {
    throw new Error(`The demo wrote no report (exit code ${code}):\n${output.slice(-4000)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 600_000);

function result(file: string): Report['results'][number] {
  const found = report.results.find((r) => r.file === file);
  if (!found) throw new Error(`${file} did not run; the demo ran ${report.results.map((r) => r.file).join(', ')}`);
  return found;
}

/** The log of one workflow: from its header to the next workflow's. */
function section(file: string): string {
  const start = log.indexOf(`▶ ${file} ·`);
  if (start < 0) throw new Error(`no section for ${file} in the log`);
  const next = log.indexOf('▶ ', start + 2);
  return log.slice(start, next < 0 ? undefined : next);
}

describe('npm run demo over examples/workflows', () => {
  const examples = readdirSync(path.join(REPO_ROOT, EXAMPLES)).filter((file) => /\.ya?ml$/.test(file));

  test.each(examples)('%s passes', (file) => {
    const run = result(`${EXAMPLES}/${file}`);
    if (!run.passed)
      throw new Error(
        `${file} failed:\n${JSON.stringify(run.failures, null, 2)}\n${section(`${EXAMPLES}/${file}`).slice(-3000)}`,
      );
    expect(run.failures).toEqual([]);
  });

  test('deploy-aci prints the model response as the HTTP API sent it, and never the key', () => {
    const aci = section(`${EXAMPLES}/deploy-aci.yml`);
    expect(aci).toMatch(/│ HTTP\/1\.1 200 OK\n/);
    expect(aci).toMatch(/│ azureml-model-deployment: silero-vad-v1\n/);
    expect(aci).toMatch(/│ \{"outputs":\{"output":\[\[0\.\d+\]\],"hn":/);
    expect(aci).toContain('key=***');
    for (const file of examples) expect(section(`${EXAMPLES}/${file}`)).not.toContain('::add-mask::');
    expect(aci).not.toMatch(/Authorization: Bearer [^*]/i);
  });

  test("no secret the emulator issued appears in the demo's log or in what its actions showed or wrote", () => {
    // Counted with the whole suite's scan (tests/harness/secretScan.ts): the reliability table's secrets row.
    recordLedger({
      runs: report.secretScan.actionRuns,
      hits: report.secretScan.hits,
      runsWithHits: report.results.filter((r) => (r.secretScan?.hits ?? 0) > 0).length,
      issued: report.secretScan.issued,
    });
    expect(report.results.filter((r) => (r.secretScan?.hits ?? 0) > 0).map((r) => r.failures)).toEqual([]);
    expect(report.secretScan.hits).toBe(0);
    expect(report.secretScan.actionRuns).toBeGreaterThan(10);
    // What the scan looked for: tokens, keys and the storage key the examples' runs were handed.
    expect(Object.keys(report.secretScan.issued)).toEqual(
      expect.arrayContaining(['GitHub ID token', 'Entra access token', 'endpoint key', 'storage account key']),
    );
    expect(log).toMatch(/Secrets scan: \d+ action runs, \d+ secrets issued by the emulator, 0 found/);
  });

  test('each job logs in with the OIDC subject of its trigger and environment', () => {
    expect(section(`${EXAMPLES}/register-onnx.yml`)).toContain(
      'Logged in to custom with oidc as repo:octo-org/octo-repo:ref:refs/heads/main',
    );
    expect(section(`${EXAMPLES}/local-inference.yml`)).toContain(
      'Logged in to custom with oidc as repo:octo-org/octo-repo:pull_request',
    );
    const release = section(`${EXAMPLES}/release.yml`);
    expect(release).toContain('environment production');
    expect(release).toContain('Logged in to custom with oidc as repo:octo-org/octo-repo:environment:production');
    expect(release).toMatch(/Deploying silero-vad:\d+ to vad-prod\/silero-vad-v\d+ \(target aks/);
  });

  test('local-inference serves on the runner, answers a later step, and its post step stops the server', () => {
    const local = section(`${EXAMPLES}/local-inference.yml`);
    expect(local).toMatch(/│ HTTP\/1\.1 200 OK\n/);
    expect(local).toContain('azureml-model-deployment: local');
    expect(local).toMatch(/Smoke test passed: 200 requests/);
    expect(local).toMatch(/┌ \[post\][^\n]*\n│ Stopped the local scoring server/);
  });

  test("the pipeline example's log shows the run id", () => {
    if (!examples.includes('pipeline.yml')) return;
    expect(section(`${EXAMPLES}/pipeline.yml`)).toMatch(/│ run-id: \S+\n/);
  });

  test('the log ends with a table of workflows, results and durations', () => {
    expect(log).toMatch(/workflow +event +result +duration\n/);
    expect(log).toMatch(/examples\/workflows\/release\.yml +push +passed +\d+\.\d s/);
    expect(log).toMatch(/examples\/workflows\/local-inference\.yml +pull_request +passed/);
  });
});

describe('broken workflows make the demo fail and say where', () => {
  test('the demo exits non-zero', () => {
    expect(code).toBe(1);
  });

  test('a wrong input name fails its step, naming the key with file:line:col and the likely input', () => {
    const run = result(`${FIXTURES}/bad-input.yml`);
    expect(run.passed).toBe(false);
    expect(run.failures).toEqual([
      expect.objectContaining({
        job: 'gate',
        step: 'Smoke test with a misspelt input',
        location: { file: `${FIXTURES}/bad-input.yml`, line: 18, col: 11 },
        message: expect.stringContaining("unexpected input 'expect-jsn'"),
      }),
    ]);
    expect(run.failures[0]?.message).toContain("Did you mean 'expect-json'?");
    expect(log).toContain(
      `✗ ${FIXTURES}/bad-input.yml › job gate › step "Smoke test with a misspelt input" (${FIXTURES}/bad-input.yml:18:11): unexpected input 'expect-jsn'`,
    );
  });

  test('a failing step fails its job with the exit code and its last lines; failure() steps still run', () => {
    const run = result(`${FIXTURES}/failing-step.yml`);
    expect(run.failures).toEqual([
      expect.objectContaining({
        job: 'build',
        step: 'Check the model',
        location: { file: `${FIXTURES}/failing-step.yml`, line: 13, col: 9 },
        message: expect.stringMatching(/^Process completed with exit code 3\.\n[\s\S]*the model file is missing/),
      }),
    ]);
    const failing = section(`${FIXTURES}/failing-step.yml`);
    expect(failing).toMatch(/Not reached[^\n]*\n└ ○ skipped/);
    expect(failing).toContain('│ cleaning up after 42');
    expect(failing).toMatch(/── job after[^\n]*\n○ skipped/);
  });

  test('a remote action other than checkout/setup-node fails clearly', () => {
    const run = result(`${FIXTURES}/remote-action.yml`);
    expect(run.failures).toHaveLength(1);
    expect(run.failures[0]?.message).toContain("'uses: azure/login@v2': the demo runs only actions of this repository");
  });

  test('a job without id-token: write cannot log in with OIDC', () => {
    const run = result(`${FIXTURES}/no-id-token.yml`);
    expect(run.failures[0]?.message).toContain("Add 'permissions: id-token: write'");
  });

  test('runner features (expressions, env, outputs, needs, continue-on-error, masks) behave as on GitHub', () => {
    const features = section(`${FIXTURES}/features.yml`);
    expect(result(`${FIXTURES}/features.yml`).failures).toEqual([]);
    expect(features).toContain('│ the token is ***');
    expect(features).toContain("Warning: skip output 'secret' since it may contain secret.");
  });

  test('a release whose gate fails is rolled back; model: previous brings back the release before', () => {
    const rollback = section(`${FIXTURES}/rollback.yml`);
    expect(result(`${FIXTURES}/rollback.yml`).failures).toEqual([]);
    expect(rollback).toContain('Removing the failed deployment silero-vad-bad');
    expect(rollback).toContain('rolled-back=true');
    expect(rollback).toMatch(/Rolling back vad-aci from silero-vad:\d+ \(released [^)]*\) to silero-vad:\d+/);
  });
});

describe('npm run demo options', () => {
  test('--workflow picks one workflow by name; an unknown name lists the known ones', () => {
    const one = spawnSync(process.execPath, [DEMO, '--workflow', 'deploy-aci', '--list'], {
      cwd: REPO_ROOT,
      env: childEnv(),
      encoding: 'utf8',
    });
    expect(one.status).toBe(0);
    expect(one.stdout.trim()).toBe(`${EXAMPLES}/deploy-aci.yml`);
    const unknown = spawnSync(process.execPath, [DEMO, '--workflow', 'deploy-acj', '--list'], {
      cwd: REPO_ROOT,
      env: childEnv(),
      encoding: 'utf8',
    });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/no workflow 'deploy-acj' in examples\/workflows \(there are: [^)]*\bdeploy-aci\b/);
  });
});
