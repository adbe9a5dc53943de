// `npm run demo [-- options]`: starts the emulator, runs every example workflow against it (or the
// ones named with --workflow), prints a CI-like log and a table of results, and exits non-zero when
// a workflow fails, saying which workflow, job and step, with file:line. See scripts/demo/README.md.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { locateSpec, missingSpecMessage } from '../../emulator/specSource.js';
import { startDemoEmulator, type DemoEmulator } from './emulator.js';
import { seconds } from './log.js';
import { runPendingPostSteps, runWorkflow, type FakeEvent, type WorkflowResult } from './runner.js';
import { formatLocation, loadWorkflow, WorkflowError, type WorkflowDef } from './workflow.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const USAGE = `usage: npm run demo -- [--workflow NAME]... [--dir DIR]... [--event NAME] [--summaries] [--debug] [--report FILE] [--list]
  --workflow NAME  run only this workflow (file name with or without .yml, or a path); repeatable
  --dir DIR        folder of workflows (default examples/workflows); repeatable
  --event NAME     run each workflow for this trigger (push, pull_request, workflow_dispatch)
  --summaries      print each job's step summaries (GITHUB_STEP_SUMMARY)
  --debug          show ::debug:: lines (RUNNER_DEBUG=1)
  --report FILE    also write the results as JSON
  --list           list the workflows and exit`;

/**
 * Settings of the demo's emulator: none, its defaults are what the demo shows (LRO steps of 150 ms,
 * Retry-After: 1, which the actions' pollers honour).
 */
export const DEMO_EMULATOR_SETTINGS: Record<string, unknown> = {};

interface Options {
  workflows: string[];
  dirs: string[];
  event?: string;
  summaries: boolean;
  debug: boolean;
  report?: string;
  list: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { workflows: [], dirs: [], summaries: false, debug: false, list: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--workflow':
      case '-w':
        options.workflows.push(value());
        break;
      case '--dir':
        options.dirs.push(value());
        break;
      case '--event':
        options.event = value();
        break;
      case '--summaries':
        options.summaries = true;
        break;
      case '--debug':
        options.debug = true;
        break;
      case '--report':
        options.report = value();
        break;
      case '--list':
        options.list = true;
        break;
      case '--help':
      case '-h':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  if (options.dirs.length === 0) options.dirs.push('examples/workflows');
  return options;
}

/**
 * The order in which the demo tells the story of issue #10 (register, deploy, PR, pipelines,
 * release); workflows not named here follow in alphabetical order, so a new file needs no entry.
 */
export const STORY_ORDER = [
  'register-onnx',
  'deploy-aci',
  'local-inference',
  'pipeline',
  'pipeline-nightly',
  'automl',
  'release',
];

function storyRank(file: string): number {
  const rank = STORY_ORDER.indexOf(path.basename(file).replace(/\.ya?ml$/, ''));
  return rank < 0 ? STORY_ORDER.length : rank;
}

/** The workflow files to run: every *.yml / *.yaml of the folders (folder by folder, in story order), or those --workflow names. */
export function selectWorkflows(root: string, dirs: string[], names: string[]): string[] {
  const all = dirs.flatMap((dir) => {
    const folder = path.resolve(root, dir);
    if (!existsSync(folder)) throw new Error(`no folder ${dir}`);
    return readdirSync(folder)
      .filter((file) => /\.ya?ml$/.test(file))
      .sort((a, b) => storyRank(a) - storyRank(b) || a.localeCompare(b))
      .map((file) => path.join(folder, file));
  });
  if (names.length === 0) return all;
  return names.map((name) => {
    const direct = path.resolve(root, name);
    if (/\.ya?ml$/.test(name) && existsSync(direct)) return direct;
    const match = all.find((file) => path.basename(file).replace(/\.ya?ml$/, '') === name.replace(/\.ya?ml$/, ''));
    if (!match)
      throw new Error(
        `no workflow '${name}' in ${dirs.join(', ')} (there are: ${all.map((file) => path.basename(file).replace(/\.ya?ml$/, '')).join(', ')})`,
      );
    return match;
  });
}

export async function main(
  argv: string[],
  print: (line: string) => void = (line) => console.log(line),
): Promise<number> {
  let options: Options;
  let files: string[];
  try {
    options = parseArgs(argv);
    files = selectWorkflows(ROOT, options.dirs, options.workflows);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  if (options.list) {
    for (const file of files) print(path.relative(ROOT, file));
    return 0;
  }
  if (files.length === 0) {
    console.error(`no workflows in ${options.dirs.join(', ')}`);
    return 2;
  }
  const event = JSON.parse(readFileSync(path.join(ROOT, 'scripts', 'demo', 'event.json'), 'utf8')) as FakeEvent;
  const started = Date.now();
  print(`azureml-actions demo: ${files.length} workflow(s) against the emulator (Node.js ${process.version})`);
  // The emulator's own log is a file: say here that it runs unvalidated (with CI=true it refuses).
  const spec = locateSpec();
  if ('reason' in spec) print(`warning: ${missingSpecMessage(spec.reason)}`);
  let emulator: DemoEmulator;
  try {
    emulator = await startDemoEmulator(ROOT, DEMO_EMULATOR_SETTINGS);
  } catch (error) {
    console.error(`Could not start the emulator: ${(error as Error).message}`);
    return 1;
  }
  print(
    `emulator: ARM ${emulator.contract.armUrl}, blob ${String(emulator.contract.blobUrl) || '(off)'}, workspace ${emulator.contract.resourceGroup}/${emulator.contract.workspace} (started in ${seconds(Date.now() - started)})`,
  );
  const stop = (): void => {
    print('Interrupted: running the post steps of the current job, stopping the emulator.');
    runPendingPostSteps();
    void emulator.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const results: WorkflowResult[] = [];
  /** Secrets the emulator issued during the demo, by kind (each workflow's scan looked for them all). */
  const issued: Record<string, number> = {};
  try {
    for (const file of files) {
      let workflow: WorkflowDef;
      try {
        workflow = loadWorkflow(file, ROOT);
      } catch (error) {
        if (!(error instanceof WorkflowError)) throw error;
        const relative = path.relative(ROOT, file);
        print('');
        print(`✗ ${error.message}`);
        results.push({
          file: relative,
          name: relative,
          event: '-',
          passed: false,
          durationMs: 0,
          failures: [{ workflow: relative, location: error.location, message: error.message }],
        });
        continue;
      }
      results.push(
        await runWorkflow(workflow, {
          root: ROOT,
          emulator,
          event,
          print,
          debug: options.debug,
          summaries: options.summaries,
          ...(options.event ? { eventName: options.event } : {}),
        }),
      );
    }
  } finally {
    if (results.some((result) => !result.passed)) {
      print('');
      print(`Emulator log (last lines of ${emulator.logFile}):`);
      const log = existsSync(emulator.logFile) ? readFileSync(emulator.logFile, 'utf8') : '';
      for (const line of log.trimEnd().split('\n').slice(-15)) print(`  ${line}`);
    }
    try {
      const answer = (await emulator.admin('GET', '/secrets')) as { value: Array<{ kind: string }> };
      for (const { kind } of answer.value) issued[kind] = (issued[kind] ?? 0) + 1;
    } catch {
      // the emulator is gone already; the table below still says what passed
    }
    await emulator.stop();
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }

  print('');
  print('═'.repeat(100));
  const width = Math.max(8, ...results.map((result) => result.file.length));
  print(`${'workflow'.padEnd(width)}  ${'event'.padEnd(17)}  result  duration`);
  for (const result of results)
    print(
      `${result.file.padEnd(width)}  ${result.event.padEnd(17)}  ${(result.passed ? 'passed' : 'FAILED').padEnd(6)}  ${seconds(result.durationMs).padStart(8)}`,
    );
  const failed = results.filter((result) => !result.passed);
  const secretScan = {
    actionRuns: results.reduce((sum, result) => sum + (result.secretScan?.actionRuns ?? 0), 0),
    hits: results.reduce((sum, result) => sum + (result.secretScan?.hits ?? 0), 0),
    issued,
  };
  print(
    `Secrets scan: ${secretScan.actionRuns} action runs, ${Object.values(issued).reduce((a, b) => a + b, 0)} secrets issued by the emulator, ${secretScan.hits} found in the log, outputs, summaries or files`,
  );
  print(
    `${failed.length === 0 ? 'all passed' : `${failed.length} of ${results.length} failed`} · total ${seconds(Date.now() - started)}`,
  );
  for (const result of failed) {
    for (const failure of result.failures) {
      const trail = [failure.workflow, failure.job && `job ${failure.job}`, failure.step && `step "${failure.step}"`]
        .filter(Boolean)
        .join(' › ');
      const [first = '', ...rest] = failure.message.split('\n');
      print(`✗ ${trail} (${formatLocation(failure.location)}): ${first}`);
      for (const line of rest) print(`    ${line}`);
    }
    if (result.failures.length === 0) print(`✗ ${result.file}: failed`);
  }
  if (options.report)
    writeFileSync(
      path.resolve(options.report),
      JSON.stringify({ results, secretScan, durationMs: Date.now() - started }, null, 2),
    );
  return failed.length === 0 ? 0 : 1;
}
