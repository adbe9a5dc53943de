// The dry-run plan: what an action would do, printed instead of doing it. Every action builds
// one from its parsed inputs, so `dry-run: true` shows the same decisions a real run makes.

import { codeCell, inertValue, tableCell } from '../github/untrustedText.js';
import type { ActionContext } from './context.js';

export type PlanVerb =
  'read' | 'create' | 'create or update' | 'update' | 'upload' | 'delete' | 'submit' | 'run' | 'test';

export interface PlanStep {
  verb: PlanVerb;
  /** The Azure resource (or local thing) the step touches, e.g. `models/vad/versions/auto`. */
  target: string;
  detail?: string;
}

export interface Plan {
  action: string;
  /** Resolved settings worth showing, as [name, value]; never secrets. */
  settings: Array<[string, string]>;
  steps: PlanStep[];
  /** Outputs known without calling Azure; they are set in dry-run too. */
  outputs: Record<string, string>;
}

/** Prints the plan, writes it to the summary and sets the outputs a dry run can know. */
export function reportPlan(context: ActionContext, plan: Plan): void {
  const { log, summary, outputs } = context;
  log.info(`Dry run: ${plan.action} would do the following and changes nothing.`);
  // Values come from inputs (display-name, set): one line each and no `##[`, so none is a workflow command.
  for (const [name, value] of plan.settings) log.info(`  ${name}: ${oneLine(value)}`);
  plan.steps.forEach((step, index) => {
    log.info(`  ${index + 1}. ${step.verb} ${oneLine(step.target)}${step.detail ? ` (${oneLine(step.detail)})` : ''}`);
  });
  const rows = plan.steps.map(
    (step, index) => `| ${index + 1} | ${step.verb} | ${codeCell(step.target)} | ${escapeCell(step.detail ?? '')} |`,
  );
  summary.append(
    [
      `### ${plan.action}: dry run`,
      '',
      'Nothing was changed in Azure. A run without `dry-run` would do this:',
      '',
      '| # | action | resource | detail |',
      '|---|---|---|---|',
      ...rows,
      '',
      '<details><summary>Resolved settings</summary>',
      '',
      '| setting | value |',
      '|---|---|',
      ...plan.settings.map(([name, value]) => `| ${name} | ${codeCell(value)} |`),
      '',
      '</details>',
      '',
    ].join('\n'),
  );
  for (const [name, value] of Object.entries(plan.outputs)) outputs.set(name, value);
}

/** Makes a value safe inside a markdown table cell (one line, `|` escaped, HTML inert). */
export function escapeCell(value: string): string {
  return tableCell(value);
}

/** A value printed inside a log line: line breaks shown as \r / \n, so it stays on that line. */
export function oneLine(value: string): string {
  return inertValue(value);
}
