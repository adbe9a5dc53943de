// The harness's model of how the runner reads a step's output (tests/harness/runnerLog.ts): the
// forms a hostile line can take are all read as the runner reads them (actions/runner's
// ActionCommand.TryParseV2 / TryParse and ActionCommandManager's stop-commands), so a test that
// says "no command" means the runner would see none.

import { describe, expect, it } from '@jest/globals';
import { readAsRunner } from '../harness/runnerLog.js';

const names = (stdout: string) => readAsRunner(stdout).commands.map((c) => `${c.form}${c.command}`);

describe('commands as the runner reads them', () => {
  it.each([
    ['`::` at column 0', '::set-output name=x::1', ['::set-output']],
    ['`::` after leading spaces and tabs', ' \t ::save-state name=pid::1', ['::save-state']],
    ['`::` after a no-break space (.NET white space)', '\u00a0::error::x', ['::error']],
    ['a lone \\r starts a line', 'progress 10%\r::add-mask::x', ['::add-mask']],
    ['`\\r\\n` and `\\n` end lines', 'a\r\n::debug::x\n::notice::y', ['::debug', '::notice']],
    ['the legacy form anywhere in a line', 'text ##[error]boom', ['##[error']],
    ['the legacy form with properties', 'x ##[set-output name=a;]1', ['##[set-output']],
    ['names are case-insensitive', '::ERROR::x', ['::error']],
    ['an unknown name is text', '::pwned::x', []],
    ['`::` after other text is text', 'a ::error::x', []],
    ['no closing `::` is text', '::error x', []],
    ['an inert line (sanitised) is text', '| ::error::x\n## [error]y', []],
  ])('%s', (_name, stdout, expected) => {
    expect(names(stdout)).toEqual(expected);
  });

  it('stops at stop-commands and resumes only at its token', () => {
    const read = readAsRunner('::stop-commands::tok\n::error::a\n##[add-mask]b\n::tok::\n::warning::c\n');
    expect(read.commands.map((c) => c.command)).toEqual(['stop-commands', 'tok', 'warning']);
    expect(read.ignoredWhileStopped).toEqual(['::error::a', '##[add-mask]b']);
    expect(read.masks).toEqual([]);
    expect(read.shown).toContain('##[add-mask]b');
  });

  it('an empty stop token never resumes (as the runner)', () => {
    expect(readAsRunner('::stop-commands::\n::::\n::error::a\n').commands.map((c) => c.command)).toEqual([
      'stop-commands',
    ]);
  });

  it('shows processed add-mask lines as *** and undoes the data escaping', () => {
    const read = readAsRunner('::add-mask::s3cret%0Aline\n::error file=a%3Ab,line=2::multi%0Aline\n');
    expect(read.masks).toEqual(['s3cret\nline']);
    expect(read.shown).toEqual(['::add-mask::***']);
    expect(read.commands[1]?.properties).toEqual({ file: 'a:b', line: '2' });
    expect(read.commands[1]?.data).toBe('multi\nline');
  });
});
