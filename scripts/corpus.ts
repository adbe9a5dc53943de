// `npm run corpus [-- --write]`: runs every job file of Microsoft's azureml-examples corpus
// (../shared/corpus, or AZUREML_CORPUS_DIR) through the built action-pipeline against a fresh
// emulator, and through azure-ai-ml to compare the job bodies, and prints the table of
// tests/corpus/RESULTS.md; --write updates it (dated) and the file list; --differences FILE writes
// each file's outcomes and body differences (JSON).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  CORPUS_DIR,
  JOB_LIST,
  RESULTS_FILE,
  corpusAvailable,
  formatResults,
  listJobFiles,
  measureCorpus,
} from '../tests/corpus/corpus.js';

const { values } = parseArgs({
  options: { write: { type: 'boolean', default: false }, differences: { type: 'string' } },
});
if (!corpusAvailable()) {
  process.stderr.write(`No corpus in ${CORPUS_DIR}: set AZUREML_CORPUS_DIR to a copy of azureml-examples (cli/jobs)\n`);
  process.exit(1);
}
const files = listJobFiles();
const started = Date.now();
const results = await measureCorpus(files, (done, r) =>
  process.stderr.write(`[${done}/${files.length}] ${r.outcome} ${r.file}\n`),
);
const report = formatResults(results);
if (values.differences) {
  // Per file, both clients' outcomes and every field where their bodies differ, listed or not.
  writeFileSync(values.differences, `${JSON.stringify(results, null, 1)}\n`);
}
process.stdout.write(report.split('\n## Files')[0] ?? '');
process.stdout.write(`\n${files.length} files in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
if (values.write) {
  writeFileSync(
    JOB_LIST,
    `# Job files of the corpus (tests/corpus/corpus.ts listJobFiles), relative to azureml-examples\n${files.join('\n')}\n`,
  );
  writeFileSync(RESULTS_FILE, report);
  process.stdout.write(`wrote ${JOB_LIST} and ${RESULTS_FILE}\n`);
}
