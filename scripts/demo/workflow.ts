// Loads a GitHub workflow file into what the demo runner executes, keeping the line and column of
// every job, step and `with:` key so that failures can say exactly where they come from.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml';

export interface Location {
  /** Path relative to the repository root, e.g. `examples/workflows/deploy-aci.yml`. */
  file: string;
  line: number;
  col: number;
}

export function formatLocation(location: Location): string {
  return `${location.file}:${location.line}:${location.col}`;
}

/** A mistake in the workflow file itself (structure, unsupported feature), with its place. */
export class WorkflowError extends Error {
  constructor(
    message: string,
    readonly location: Location,
  ) {
    super(`${formatLocation(location)}: ${message}`);
  }
}

export interface WithInput {
  key: string;
  /** The raw value as a string (expressions not yet evaluated); YAML numbers and booleans as written. */
  value: string;
  location: Location;
}

export interface StepDef {
  /** 0-based position in the job. */
  index: number;
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  shell?: string;
  workingDirectory?: string;
  with: WithInput[];
  env: Record<string, string>;
  if?: string;
  continueOnError: string;
  timeoutMinutes?: number;
  location: Location;
}

export interface Environment {
  name: string;
  url?: string;
}

export interface JobDef {
  id: string;
  name?: string;
  runsOn: string;
  needs: string[];
  if?: string;
  env: Record<string, string>;
  environment?: Environment;
  /** `permissions:` of the job, else of the workflow; undefined when neither sets it. */
  permissions?: string | Record<string, string>;
  concurrency?: string;
  outputs: Record<string, string>;
  defaultShell?: string;
  defaultWorkingDirectory?: string;
  steps: StepDef[];
  location: Location;
}

export interface WorkflowDef {
  /** Absolute path. */
  path: string;
  /** Relative to the repository root. */
  file: string;
  name: string;
  /** Trigger names in the order the file lists them, with their settings. */
  on: Array<{ event: string; config: Record<string, unknown> }>;
  env: Record<string, string>;
  concurrency?: string;
  jobs: JobDef[];
}

/** Scalars as GitHub passes them on: strings as is, numbers and booleans as written, null as ''. */
function scalarText(node: unknown, where: Location, what: string): string {
  if (node === undefined || node === null) return '';
  if (isScalar(node)) {
    const value = node.value;
    if (value === null || value === undefined) return '';
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return node.source ?? String(value);
  }
  throw new WorkflowError(`${what} must be a string, a number or a boolean`, where);
}

export function loadWorkflow(file: string, root: string): WorkflowDef {
  const text = readFileSync(file, 'utf8');
  const relative = path.relative(root, file).split(path.sep).join('/');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, keepSourceTokens: true });
  const at = (node: Node | null | undefined): Location => {
    const offset = node?.range?.[0] ?? 0;
    const pos = lines.linePos(offset);
    return { file: relative, line: pos.line, col: pos.col };
  };
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    const pos = lines.linePos(error.pos[0]);
    throw new WorkflowError(`not valid YAML: ${error.message.split('\n')[0]}`, {
      file: relative,
      line: pos.line,
      col: pos.col,
    });
  }
  const top = doc.contents;
  if (!isMap(top)) throw new WorkflowError('a workflow is a mapping (on:, jobs:, ...)', at(top));

  const stringMap = (node: unknown, what: string): Record<string, string> => {
    if (node === undefined || node === null) return {};
    if (!isMap(node)) throw new WorkflowError(`${what} must be a mapping`, at(node as Node));
    const result: Record<string, string> = {};
    for (const pair of node.items) {
      const key = scalarText(pair.key, at(pair.key as Node), `a key of ${what}`);
      result[key] = scalarText(pair.value, at((pair.value ?? pair.key) as Node), `${what}.${key}`);
    }
    return result;
  };
  const concurrencyOf = (node: unknown): string | undefined => {
    if (node === undefined || node === null) return undefined;
    if (isMap(node)) return scalarText(node.get('group', true), at(node), 'concurrency.group');
    return scalarText(node, at(node as Node), 'concurrency');
  };
  const permissionsOf = (node: unknown): string | Record<string, string> | undefined => {
    if (node === undefined || node === null) return undefined;
    if (isMap(node)) return stringMap(node, 'permissions');
    return scalarText(node, at(node as Node), 'permissions');
  };

  // on: a name, a list of names, or a mapping of names to settings.
  const onValue = (doc.toJS() as Record<string, unknown>).on;
  const on: WorkflowDef['on'] = [];
  if (typeof onValue === 'string') on.push({ event: onValue, config: {} });
  else if (Array.isArray(onValue)) for (const item of onValue) on.push({ event: String(item), config: {} });
  else if (onValue && typeof onValue === 'object') {
    for (const [event, config] of Object.entries(onValue as Record<string, unknown>)) {
      on.push({ event, config: config && typeof config === 'object' ? (config as Record<string, unknown>) : {} });
    }
  } else throw new WorkflowError("the workflow has no 'on:' trigger", at(top));

  const workflowPermissions = permissionsOf(top.get('permissions', true));
  const workflowDefaults = top.get('defaults', true) as YAMLMap | undefined;
  const jobsNode = top.get('jobs', true);
  if (!isMap(jobsNode) || jobsNode.items.length === 0)
    throw new WorkflowError("the workflow has no 'jobs:'", at((jobsNode as Node) ?? top));

  const jobs: JobDef[] = [];
  for (const pair of jobsNode.items) {
    const id = scalarText(pair.key, at(pair.key as Node), 'a job id');
    const node = pair.value;
    if (!isMap(node)) throw new WorkflowError(`job '${id}' must be a mapping`, at(pair.key as Node));
    const where = at(pair.key as Node);
    for (const unsupported of ['strategy', 'container', 'services', 'uses']) {
      if (node.has(unsupported))
        throw new WorkflowError(
          `job '${id}': '${unsupported}:' is not supported by the demo runner (see scripts/demo/README.md)`,
          at(node.get(unsupported, true) as Node),
        );
    }
    const needsNode = node.get('needs', true);
    const needs = isSeq(needsNode)
      ? needsNode.items.map((item) => scalarText(item, at(item as Node), 'needs'))
      : needsNode
        ? [scalarText(needsNode, at(needsNode as Node), 'needs')]
        : [];
    const environmentNode = node.get('environment', true);
    let environment: Environment | undefined;
    if (isMap(environmentNode)) {
      const url = environmentNode.get('url', true);
      environment = {
        name: scalarText(environmentNode.get('name', true), at(environmentNode), 'environment.name'),
        ...(url ? { url: scalarText(url, at(url as Node), 'environment.url') } : {}),
      };
    } else if (environmentNode) {
      environment = { name: scalarText(environmentNode, at(environmentNode as Node), 'environment') };
    }
    const defaults = (node.get('defaults', true) as YAMLMap | undefined) ?? workflowDefaults;
    const runDefaults = isMap(defaults) ? defaults.get('run', true) : undefined;
    const stepsNode = node.get('steps', true);
    if (!isSeq(stepsNode)) throw new WorkflowError(`job '${id}' has no 'steps:'`, where);
    const steps: StepDef[] = stepsNode.items.map((stepNode, index) => {
      if (!isMap(stepNode)) throw new WorkflowError('a step must be a mapping', at(stepNode as Node));
      const location = at(stepNode);
      const text = (key: string): string | undefined => {
        const value = stepNode.get(key, true);
        return value === undefined ? undefined : scalarText(value, at(value as Node), key);
      };
      const withNode = stepNode.get('with', true);
      const withInputs: WithInput[] = [];
      if (withNode !== undefined && withNode !== null) {
        if (!isMap(withNode)) throw new WorkflowError("'with:' must be a mapping", at(withNode as Node));
        for (const item of withNode.items) {
          const keyLocation = at(item.key as Node);
          const key = scalarText(item.key, keyLocation, "a key of 'with:'");
          withInputs.push({ key, value: scalarText(item.value, keyLocation, `with.${key}`), location: keyLocation });
        }
      }
      const uses = text('uses');
      const run = text('run');
      if ((uses === undefined) === (run === undefined))
        throw new WorkflowError("a step needs exactly one of 'uses:' and 'run:'", location);
      const timeout = text('timeout-minutes');
      const step: StepDef = {
        index,
        with: withInputs,
        env: stringMap(stepNode.get('env', true), 'env'),
        continueOnError: text('continue-on-error') ?? 'false',
        location,
      };
      const optional: Array<[keyof StepDef, string | undefined]> = [
        ['id', text('id')],
        ['name', text('name')],
        ['uses', uses],
        ['run', run],
        ['shell', text('shell')],
        ['workingDirectory', text('working-directory')],
        ['if', text('if')],
      ];
      for (const [key, value] of optional) if (value !== undefined) Object.assign(step, { [key]: value });
      if (timeout !== undefined) step.timeoutMinutes = Number(timeout);
      return step;
    });
    const job: JobDef = {
      id,
      runsOn: scalarText(node.get('runs-on', true) ?? null, where, 'runs-on') || 'ubuntu-latest',
      needs,
      env: stringMap(node.get('env', true), 'env'),
      outputs: stringMap(node.get('outputs', true), 'outputs'),
      steps,
      location: where,
    };
    const name = node.get('name', true);
    if (name) job.name = scalarText(name, at(name as Node), 'name');
    const condition = node.get('if', true);
    if (condition !== undefined) job.if = scalarText(condition, at(condition as Node), 'if');
    if (environment) job.environment = environment;
    const permissions = permissionsOf(node.get('permissions', true)) ?? workflowPermissions;
    if (permissions !== undefined) job.permissions = permissions;
    const concurrency = concurrencyOf(node.get('concurrency', true));
    if (concurrency !== undefined) job.concurrency = concurrency;
    if (isMap(runDefaults)) {
      const shell = runDefaults.get('shell', true);
      const dir = runDefaults.get('working-directory', true);
      if (shell) job.defaultShell = scalarText(shell, at(shell as Node), 'defaults.run.shell');
      if (dir) job.defaultWorkingDirectory = scalarText(dir, at(dir as Node), 'defaults.run.working-directory');
    }
    jobs.push(job);
  }
  for (const job of jobs) {
    for (const need of job.needs) {
      if (!jobs.some((other) => other.id === need))
        throw new WorkflowError(`job '${job.id}' needs '${need}', which is not a job of this workflow`, job.location);
    }
  }

  const nameNode = top.get('name', true);
  const workflow: WorkflowDef = {
    path: file,
    file: relative,
    name: nameNode ? scalarText(nameNode, at(nameNode as Node), 'name') : relative,
    on,
    env: stringMap(top.get('env', true), 'env'),
    jobs,
  };
  const concurrency = concurrencyOf(top.get('concurrency', true));
  if (concurrency !== undefined) workflow.concurrency = concurrency;
  return workflow;
}

/** Jobs in an order that runs every job after the jobs it needs (file order otherwise). */
export function jobOrder(jobs: JobDef[]): JobDef[] {
  const done = new Set<string>();
  const ordered: JobDef[] = [];
  while (ordered.length < jobs.length) {
    const next = jobs.find((job) => !done.has(job.id) && job.needs.every((need) => done.has(need)));
    if (!next) {
      const stuck = jobs.find((job) => !done.has(job.id))!;
      throw new WorkflowError(`the jobs' 'needs:' form a cycle (through '${stuck.id}')`, stuck.location);
    }
    done.add(next.id);
    ordered.push(next);
  }
  return ordered;
}

/** Whether the job may request a GitHub OIDC token (`permissions: id-token: write` or `write-all`). */
export function mayRequestIdToken(job: JobDef): boolean {
  const permissions = job.permissions;
  if (permissions === undefined) return false;
  if (typeof permissions === 'string') return permissions === 'write-all';
  return permissions['id-token'] === 'write';
}
