// Microsoft's sample job files (../shared/corpus/azureml-examples) through the built action-pipeline
// against the emulator: the committed tests/corpus/RESULTS.md must be what this run produces, so a
// file that regresses (or one that starts working) shows here. Regenerate with `npm run corpus -- --write`.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  CORPUS_DIR,
  RESULTS_FILE,
  committedJobList,
  corpusAvailable,
  formatResults,
  listJobFiles,
  measureCorpus,
  undated,
  type CorpusResult,
} from './corpus.js';

const available = corpusAvailable();
if (!available && process.env.CI === 'true')
  throw new Error(`CI=true and no corpus in ${CORPUS_DIR} (set AZUREML_CORPUS_DIR): CI never skips the corpus`);
const suite = available ? describe : describe.skip;
const skipped = available ? '' : ` [skipped: no corpus in ${CORPUS_DIR}; set AZUREML_CORPUS_DIR]`;

suite(`Microsoft's sample job files through action-pipeline${skipped}`, () => {
  let results: CorpusResult[] = [];
  beforeAll(async () => {
    results = await measureCorpus(committedJobList());
  }, 600_000);

  it('the committed list names every job file of the corpus (tests/corpus/job-files.txt)', () => {
    expect(listJobFiles()).toEqual(committedJobList());
  });

  it('no file crashes the step', () => {
    expect(results.filter((r) => r.outcome === 'crashed').map((r) => `${r.file}: ${r.message}`)).toEqual([]);
  });

  it('each file ends as tests/corpus/RESULTS.md says (npm run corpus -- --write regenerates it)', () => {
    const fileLines = (report: string) => report.split('\n').filter((l) => l.startsWith('| cli/'));
    // Per file first, so a difference names the file; then the whole report (tables, causes).
    expect(fileLines(formatResults(results))).toEqual(fileLines(readFileSync(RESULTS_FILE, 'utf8')));
    expect(undated(formatResults(results))).toBe(undated(readFileSync(RESULTS_FILE, 'utf8')));
  });
});
