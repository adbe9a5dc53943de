// The demo runner's parts that need no emulator: expressions (GitHub's own evaluator), workflow
// loading with positions, trigger choice, OIDC subjects, masking and the runner's file commands.

import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { condition, interpolate, splitTemplate } from '../../scripts/demo/expressions.js';
import { Masker, parseFileCommands, StepLog } from '../../scripts/demo/log.js';
import { chooseEvent, oidcSubject, resolvePlaceholders, type FakeEvent } from '../../scripts/demo/runner.js';
import { jobOrder, loadWorkflow, mayRequestIdToken, WorkflowError } from '../../scripts/demo/workflow.js';
import { selectWorkflows, STORY_ORDER } from '../../scripts/demo/cli.js';
import { REPO_ROOT } from '../harness/runAction.js';

const contexts = {
  github: { ref: 'refs/heads/main', event_name: 'push', event: { pull_request: { number: 7 } } },
  steps: { model: { outputs: { 'asset-id': 'azureml:silero-vad:3' }, outcome: 'success', conclusion: 'success' } },
  vars: { AZUREML_WORKSPACE: 'ws' },
  env: {},
};

describe('expressions', () => {
  test('templates evaluate with GitHub semantics', () => {
    expect(interpolate("model ${{ steps.model.outputs['asset-id'] }}", contexts)).toBe('model azureml:silero-vad:3');
    expect(interpolate('${{ steps.model.outputs.asset-id }}', contexts)).toBe('azureml:silero-vad:3');
    expect(interpolate("${{ github.ref == 'refs/heads/main' && 'deploy' || 'skip' }}", contexts)).toBe('deploy');
    expect(interpolate("${{ format('{0}-ep', 'vad') }}/${{ vars.azureml_workspace }}", contexts)).toBe('vad-ep/ws');
    expect(interpolate('${{ steps.missing.outputs.x }}', contexts)).toBe('');
    expect(interpolate('pr-${{ github.event.pull_request.number }}', contexts)).toBe('pr-7');
  });

  test("a '}}' inside a string literal does not end the expression", () => {
    expect(splitTemplate("a ${{ format('{0}}}', 'x') }} b")).toEqual([
      { text: 'a ' },
      { expression: " format('{0}}}', 'x') " },
      { text: ' b' },
    ]);
  });

  test('if: conditions add success() unless they use a status function', () => {
    expect(condition(undefined, contexts, { failed: false })).toBe(true);
    expect(condition(undefined, contexts, { failed: true })).toBe(false);
    expect(condition("github.ref == 'refs/heads/main'", contexts, { failed: true })).toBe(false);
    expect(condition('${{ failure() }}', contexts, { failed: true })).toBe(true);
    expect(condition('always()', contexts, { failed: true })).toBe(true);
    expect(condition("steps.model.outcome == 'success'", contexts, { failed: false })).toBe(true);
    expect(condition(undefined, contexts, { failed: false, blocked: true })).toBe(false);
  });

  test('a broken expression says which', () => {
    expect(() => interpolate('${{ steps.model.outputs[ }}', contexts)).toThrow(
      /in \$\{\{ steps\.model\.outputs\[ \}\}/,
    );
    expect(() => interpolate('${{ nope.x }}', contexts)).toThrow(/nope/);
  });
});

function writeWorkflow(text: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'demo-workflow-'));
  const file = path.join(dir, 'w.yml');
  writeFileSync(file, text);
  return file;
}

describe('workflow files', () => {
  test('the examples load, with every with: key located', () => {
    const workflow = loadWorkflow(path.join(REPO_ROOT, 'examples/workflows/deploy-aci.yml'), REPO_ROOT);
    expect(workflow.file).toBe('examples/workflows/deploy-aci.yml');
    expect(workflow.on.map((trigger) => trigger.event)).toEqual(['push', 'workflow_dispatch']);
    const deploy = workflow.jobs[0]!.steps.find((step) => step.id === 'deploy')!;
    const target = deploy.with.find((input) => input.key === 'target')!;
    expect(target.value).toBe('aci');
    expect(target.location.file).toBe('examples/workflows/deploy-aci.yml');
    expect(target.location.line).toBeGreaterThan(deploy.location.line);
    expect(deploy.with.find((input) => input.key === 'expose-key')?.value).toBe('true');
    expect(deploy.with.find((input) => input.key === 'smoke-test-p95-ms')?.value).toBe('500');
    expect(mayRequestIdToken(workflow.jobs[0]!)).toBe(true);
  });

  test('jobs run after the jobs they need; unsupported features and bad needs fail with their place', () => {
    const file = writeWorkflow(
      'on: push\njobs:\n  b:\n    needs: a\n    runs-on: x\n    steps: [{run: echo}]\n  a:\n    runs-on: x\n    steps: [{run: echo}]\n',
    );
    expect(jobOrder(loadWorkflow(file, path.dirname(file)).jobs).map((job) => job.id)).toEqual(['a', 'b']);
    const matrix = writeWorkflow(
      'on: push\njobs:\n  a:\n    runs-on: x\n    strategy:\n      matrix: {n: [1, 2]}\n    steps: [{run: echo}]\n',
    );
    expect(() => loadWorkflow(matrix, path.dirname(matrix))).toThrow(
      /w\.yml:6:7: job 'a': 'strategy:' is not supported/,
    );
    const both = writeWorkflow(
      'on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n        uses: ./x\n',
    );
    expect(() => loadWorkflow(both, path.dirname(both))).toThrow(WorkflowError);
    expect(() => loadWorkflow(both, path.dirname(both))).toThrow(/w\.yml:6:9: a step needs exactly one of/);
  });

  test('triggers: the first event the fake event has and the branch filters let through', () => {
    const event = {
      events: {
        push: { ref: 'refs/heads/main', payload: {} },
        pull_request: { ref: 'refs/pull/7/merge', base_ref: 'main', payload: {} },
      },
    } as unknown as FakeEvent;
    const workflow = (on: string) =>
      loadWorkflow(writeWorkflow(`on:\n${on}\njobs:\n  a:\n    runs-on: x\n    steps: [{run: echo}]\n`), os.tmpdir());
    expect(chooseEvent(workflow('  pull_request:\n    branches: [main]'), event)).toBe('pull_request');
    expect(chooseEvent(workflow('  push:\n    branches: [release/*]\n  pull_request:'), event)).toBe('pull_request');
    expect(() => chooseEvent(workflow('  schedule:\n    - cron: "0 3 * * *"'), event)).toThrow(
      /none of the workflow's triggers \(schedule\)/,
    );
    expect(chooseEvent(workflow('  push:\n  pull_request:'), event, 'pull_request')).toBe('pull_request');
  });

  test('OIDC subjects follow GitHub: environment, then pull_request, then the ref', () => {
    expect(oidcSubject('o/r', 'push', 'refs/heads/main', 'production')).toBe('repo:o/r:environment:production');
    expect(oidcSubject('o/r', 'pull_request', 'refs/pull/7/merge')).toBe('repo:o/r:pull_request');
    expect(oidcSubject('o/r', 'push', 'refs/heads/main')).toBe('repo:o/r:ref:refs/heads/main');
  });

  test("the fake event's vars come from the emulator's contract", () => {
    expect(resolvePlaceholders({ A: '{clientId}', B: 'x-{workspace}' }, { clientId: 'c', workspace: 'w' })).toEqual({
      A: 'c',
      B: 'x-w',
    });
    expect(() => resolvePlaceholders({ A: '{nope}' }, {})).toThrow(/lacks/);
  });
});

describe('which workflows run', () => {
  test('the examples in the order of the story, any other file after them', () => {
    const names = selectWorkflows(REPO_ROOT, ['examples/workflows'], []).map((file) => path.basename(file, '.yml'));
    const known = names.filter((name) => STORY_ORDER.includes(name));
    expect(known).toEqual(STORY_ORDER.filter((name) => names.includes(name)));
    expect(names.slice(0, known.length)).toEqual(known);
    expect(names[0]).toBe('register-onnx');
  });

  test('--workflow takes a name, a file name or a path', () => {
    const dirs = ['examples/workflows'];
    const expected = [path.join(REPO_ROOT, 'examples/workflows/deploy-aci.yml')];
    expect(selectWorkflows(REPO_ROOT, dirs, ['deploy-aci'])).toEqual(expected);
    expect(selectWorkflows(REPO_ROOT, dirs, ['deploy-aci.yml'])).toEqual(expected);
    expect(selectWorkflows(REPO_ROOT, dirs, ['examples/workflows/deploy-aci.yml'])).toEqual(expected);
    expect(() => selectWorkflows(REPO_ROOT, dirs, ['nope'])).toThrow(/no workflow 'nope'/);
  });
});

describe('log', () => {
  test('workflow commands are applied and masked values never printed', () => {
    const printed: string[] = [];
    const masker = new Masker();
    const log = new StepLog(masker, (line) => printed.push(line), false);
    log.write('out', '::add-mask::sup3r-secret\nkey is sup3r-secret\n::group::Deploy\nin');
    log.write(
      'out',
      'side\n::endgroup::\n::error title=x::bad%0Asecond line\n::debug::hidden\n::save-state name=pid::42\npartial',
    );
    log.end();
    expect(printed).toEqual([
      '│ key is ***',
      '│ ▸ Deploy',
      '│   inside',
      '│ Error: bad',
      '│        second line',
      '│ partial',
    ]);
    expect(log.effects.annotations).toEqual([
      { level: 'error', message: 'bad\nsecond line', properties: { title: 'x' } },
    ]);
    expect(log.effects.state).toEqual({ pid: '42' });
    expect(masker.findIn('leaked sup3r-secret')).toBe(1);
  });

  test('GITHUB_OUTPUT files: name=value and heredoc blocks', () => {
    expect(parseFileCommands('a=1\nb<<EOF\nx\ny=2\nEOF\nc=x=y\n')).toEqual({ a: '1', b: 'x\ny=2', c: 'x=y' });
  });
});

describe('the root README', () => {
  test('its quick start is examples/workflows/deploy-aci.yml, word for word', () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const quickStart = readme.slice(
      readme.indexOf('## Quick start'),
      readme.indexOf('\n## ', readme.indexOf('## Quick start') + 1),
    );
    const yaml = /```yaml\n([\s\S]*?)```/.exec(quickStart)?.[1];
    expect(yaml).toBe(readFileSync(path.join(REPO_ROOT, 'examples/workflows/deploy-aci.yml'), 'utf8'));
  });
});
