// Microsoft's sample job files (../shared/corpus/azureml-examples) through the built action-pipeline
// against the emulator, and through azure-ai-ml to compare the job bodies: the committed
// tests/corpus/RESULTS.md must be what this run produces, so a file that regresses (or one that starts
// working) shows here, and a body difference not listed in tests/corpus/parity.ts fails. Regenerate
// with `npm run corpus -- --write`.
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
import { staleDifferences } from './parity.js';
import { skipReason } from '../interop/helpers.js';

const available = corpusAvailable();
if (!available && process.env.CI === 'true')
  throw new Error(`CI=true and no corpus in ${CORPUS_DIR} (set AZUREML_CORPUS_DIR): CI never skips the corpus`);
// The body comparison needs azure-ai-ml (npm run python-env; npm test and CI build it first).
const noPython = available ? skipReason() : null;
if (noPython && process.env.CI === 'true') throw new Error(`CI=true and ${noPython}: CI never skips the corpus`);
const suite = available && !noPython ? describe : describe.skip;
const skipped = !available
  ? ` [skipped: no corpus in ${CORPUS_DIR}; set AZUREML_CORPUS_DIR]`
  : noPython
    ? ` [skipped: ${noPython}]`
    : '';

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

  it("each body both clients sent equals azure-ai-ml's, or differs only as CORPUS_DIFFERENCES lists (tests/corpus/parity.ts)", () => {
    const unlisted = results.flatMap((r) => r.parity?.unlisted ?? []);
    expect(unlisted).toEqual([]);
  });

  it('a job both clients submitted is found in the request log for each', () => {
    const lost = results.filter((r) => r.outcome === 'submitted' && r.azureAiMl?.error === '' && !r.parity);
    expect(lost.map((r) => r.file)).toEqual([]);
  });

  it('every CORPUS_DIFFERENCES row still allows a difference (remove the rows of fixed ones)', () => {
    const stale = staleDifferences(results.flatMap((r) => r.parity?.differences ?? []));
    expect(stale.map((k) => `${k.file}: ${k.field} (${k.reason})`)).toEqual([]);
  });

  it('each file ends as tests/corpus/RESULTS.md says (npm run corpus -- --write regenerates it)', () => {
    const fileLines = (report: string) => report.split('\n').filter((l) => l.startsWith('| cli/'));
    // Per file first, so a difference names the file; then the whole report (tables, causes).
    expect(fileLines(formatResults(results))).toEqual(fileLines(readFileSync(RESULTS_FILE, 'utf8')));
    expect(undated(formatResults(results))).toBe(undated(readFileSync(RESULTS_FILE, 'utf8')));
  });
});
