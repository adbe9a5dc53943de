// `npm run fetch-spec`: downloads the pinned Azure ML REST spec (emulator/azure-spec.lock.json) into
// .cache/azure-spec and verifies every file's SHA-256, so a clone without ../shared validates too.
import { parseArgs } from 'node:util';
import { DEFAULT_SPEC_BASE_URL, SPEC_CACHE_DIR, fetchSpec, locateSpec, readSpecLock } from '../emulator/specSource.js';

const { values } = parseArgs({
  options: {
    'base-url': { type: 'string', default: process.env.AZUREML_SPEC_BASE_URL ?? DEFAULT_SPEC_BASE_URL },
    dest: { type: 'string', default: SPEC_CACHE_DIR },
    'if-missing': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  process.stdout.write(
    [
      'Usage: npm run fetch-spec [-- --base-url URL] [--dest DIR] [--if-missing]',
      `  --base-url    where the files are, as ${DEFAULT_SPEC_BASE_URL}/<commit>/<path> (env AZUREML_SPEC_BASE_URL)`,
      `  --dest        where to write them (default ${SPEC_CACHE_DIR})`,
      '  --if-missing  do nothing when a spec is already found (AZUREML_SPEC_DIR, ../shared/azure-spec or the cache)',
      '',
    ].join('\n'),
  );
  process.exit(0);
}

if (values['if-missing']) {
  const found = locateSpec();
  if (found.dir) {
    process.stdout.write(`Azure ML REST spec found in ${found.source} (${found.dir}): nothing to fetch\n`);
    process.exit(0);
  }
}

const files = readSpecLock();
const result = await fetchSpec({ baseUrl: values['base-url'], dest: values.dest, files });
process.stdout.write(
  `Azure ML REST spec in ${values.dest}: ${result.fetched} fetched, ${result.present} already verified, ${result.failures.length} failed (of ${files.length})\n`,
);
for (const failure of result.failures) process.stderr.write(`  ${failure.path}: ${failure.problem}\n`);
process.exit(result.failures.length > 0 ? 1 : 0);
