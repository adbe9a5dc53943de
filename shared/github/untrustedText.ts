// Text that does not come from this code (container and job logs, names and tags read from Azure,
// workflow values echoed back) made inert before it is printed or put in the job summary.
//
// How the runner reads a step's output (actions/runner, checked 2026-12):
// - src/Runner.Sdk/ProcessInvoker.cs reads stdout with StreamReader.ReadLine, which ends a line at
//   `\r\n`, `\r` or `\n`: a lone `\r` (a tqdm progress bar) starts a new line for the runner;
// - src/Runner.Common/ActionCommand.cs TryParseV2 trims leading white space (String.TrimStart) and
//   takes a line starting with `::` as a command; TryParse takes the legacy `##[name ...]data`
//   form *anywhere* in a line (IndexOf("##[")); ActionCommandManager.TryProcessCommand tries both;
// - src/Runner.Worker/ActionCommandManager.cs still honours set-output, save-state, add-mask and
//   stop-commands (after which nothing is a command until the token comes back, so later
//   `::add-mask::` lines would print the secrets they hide).
// So every line, split the runner's way, must neither start with `::` after white space nor hold
// `##[` anywhere. The shared logger's adapter applies inertText to every line it prints.

/** The lines of `text` as the runner splits them (StreamReader.ReadLine: `\r\n`, `\r` or `\n`). */
export function runnerLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/**
 * What String.TrimStart may remove before `::`, and more (every separator and format character,
 * e.g. a zero-width space, and NEL): removing a superset keeps the test on the safe side.
 */
const LEADING_SPACE = /^[\s\p{Z}\p{Cf}\u0085]+/u;

/** Put before a line that would start a `::` command: a visible character TrimStart keeps. */
export const COMMAND_LINE_MARK = '| ';

/** One line (no line break in it) that the runner cannot read as a workflow command. */
export function inertLine(line: string): string {
  // `## [` can never become `##[` again: each `[` that followed `##` now follows a space.
  const legacyFree = line.replace(/##\[/g, '## [');
  return legacyFree.replace(LEADING_SPACE, '').startsWith('::') ? `${COMMAND_LINE_MARK}${legacyFree}` : legacyFree;
}

/**
 * Text from outside, safe to print as it is: split the runner's way, each line made inert, joined
 * with `\n`. Idempotent, and ordinary text (no `::` start, no `##[`) is unchanged but for `\r`.
 */
export function inertText(text: string): string {
  return runnerLines(text).map(inertLine).join('\n');
}

/**
 * A value from outside (a display name, a tag, an input) inside a line of ours: line breaks shown
 * as `\r` / `\n` so the value stays on that line, and no `##[` in it.
 */
export function inertValue(value: string): string {
  return value.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/##\[/g, '## [');
}

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * A markdown table cell of the job summary: one line (every `\r\n`, `\r` and `\n` a space), its
 * `|` escaped and HTML inert (`<script>`, `<img src=...>` show as text).
 */
export function tableCell(value: string): string {
  return value
    .replace(/\r\n|\r|\n/g, ' ')
    .replace(/[&<>"']/g, (c) => HTML[c] ?? c)
    .replace(/\|/g, '\\|');
}

/**
 * A value shown as code in a table cell: a code span (where HTML is not read) whose fence is longer
 * than any run of backticks in the value, so the value cannot close it.
 */
export function codeCell(value: string): string {
  const flat = value.replace(/\r\n|\r|\n/g, ' ').replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = longest > 0 || flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}
