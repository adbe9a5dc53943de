// What `npm run python-env` says when pip fails: the package it could not get, in pip's own words,
// so a CI failure names what to fix (scripts/python-env.ts).
import { describe, expect, it } from '@jest/globals';
import { pipFailure } from '../../scripts/python-env.js';

describe('pipFailure', () => {
  it.each([
    [
      'an unreachable index',
      [
        "WARNING: Retrying (Retry(total=1, ...)) after connection broken by 'NewConnectionError(...Connection refused)': /simple/annotated-types/",
        'ERROR: Could not find a version that satisfies the requirement annotated-types==0.8.0 (from versions: none)',
        'ERROR: No matching distribution found for annotated-types==0.8.0',
      ],
      'No matching distribution found for annotated-types==0.8.0',
    ],
    [
      'a file whose hash differs from the lock',
      [
        'ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes. Otherwise, examine the package contents carefully; someone may have tampered with them.',
        '    numpy==1.26.4 from https://files.example/numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl:',
        '        Expected sha256 aaaa',
        '             Got        bbbb',
      ],
      'numpy==1.26.4: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes. Otherwise, examine the package contents carefully; someone may have tampered with them.',
    ],
    [
      'no ERROR line',
      ['Traceback (most recent call last):', 'OSError: [Errno 28] No space left on device'],
      'OSError: [Errno 28] No space left on device',
    ],
  ])('%s', (_, lines, expected) => {
    expect(pipFailure(lines.join('\n'))).toBe(expected);
  });
});
