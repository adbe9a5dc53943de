// The one sanitiser for text from outside (shared/github/untrustedText.ts): each hostile form is
// made inert as the runner would read it (checked with the harness's own runner model,
// tests/harness/runnerLog.ts), ordinary text is left alone, and summary cells stay one inert cell.

import { describe, expect, it } from '@jest/globals';
import {
  codeCell,
  inertLine,
  inertText,
  inertValue,
  runnerLines,
  tableCell,
} from '../../shared/github/untrustedText.js';
import { readAsRunner } from '../harness/runnerLog.js';

const HOSTILE: Array<[string, string]> = [
  ['a command at column 0', '::set-output name=pwned::1'],
  ['after leading spaces', '   ::save-state name=local-server-pid::1'],
  ['after a tab', '\t::add-mask::INJECTED'],
  ['after a no-break space', '\u00a0::error::INJECTED'],
  ['after a lone \\r (tqdm)', 'epoch 1 10%\r::stop-commands::tok'],
  ['after \\r\\n', 'line\r\n::warning::INJECTED'],
  ['the legacy form mid-line', 'loss=0.1 ##[error]INJECTED'],
  ['the legacy form with properties', '##[set-output name=pwned;]1'],
  ['###[ (three hashes)', '###[error]INJECTED'],
  ['stop-commands then add-mask', '::stop-commands::tok\n::add-mask::SECRET'],
  ['upper case', '::ERROR::INJECTED'],
];

describe('inertText: no line of hostile text is a command as the runner reads it', () => {
  it.each(HOSTILE)('%s', (_name, text) => {
    expect(readAsRunner(text).commands).not.toEqual([]); // the case is hostile as written
    const safe = inertText(text);
    expect(readAsRunner(safe).commands).toEqual([]);
    expect(inertText(safe)).toBe(safe); // idempotent: printing twice changes nothing
  });

  it.each(HOSTILE)('inertValue, inside a line of ours: %s', (_name, text) => {
    const safe = `step ${inertValue(text)}: Running`;
    expect(runnerLines(safe)).toHaveLength(1);
    expect(readAsRunner(safe).commands).toEqual([]);
  });
});

describe('ordinary text is left as it is', () => {
  it.each([
    ['plain log line', '2026-12-07 INFO Listening on 0.0.0.0:5001'],
    ['IPv6 mid-line', 'bound to [::1]:8080'],
    ['a markdown heading', '## [section]'],
    ['C++ scope', 'std::vector<int>'],
  ])('%s', (_name, text) => {
    expect(inertText(text)).toBe(text);
  });

  it('keeps the lines, splitting where the runner splits', () => {
    expect(inertText('a\r\nb\rc\nd')).toBe('a\nb\nc\nd');
  });

  it('also marks `::` after format characters .NET keeps (a superset is the safe side)', () => {
    expect(inertLine('\u200b::error::x')).toBe('| \u200b::error::x');
  });

  it('marks a command line visibly, keeping its text', () => {
    expect(inertLine('  ::set-output name=x::1')).toBe('|   ::set-output name=x::1');
    expect(inertLine('x ##[error]y')).toBe('x ## [error]y');
  });
});

describe('summary cells', () => {
  it.each([
    ['a lone \\r', 'a\rb', 'a b'],
    ['\\r\\n and \\n', 'a\r\nb\nc', 'a b c'],
    ['a pipe', 'a|b', 'a\\|b'],
    ['HTML', '<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'],
    ['quotes and &', `"a" & 'b'`, '&quot;a&quot; &amp; &#39;b&#39;'],
  ])('tableCell: %s', (_name, value, cell) => {
    expect(tableCell(value)).toBe(cell);
  });

  it.each([
    ['plain', 'vad:1', '`vad:1`'],
    ['a backtick cannot close the span', 'a`<b>`', '`` a`<b>` ``'],
    ['line breaks and pipes', 'a\rb|c', '`a b\\|c`'],
  ])('codeCell: %s', (_name, value, cell) => {
    expect(codeCell(value)).toBe(cell);
  });
});
