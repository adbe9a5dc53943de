// A jest environment for tests that run onnxruntime-node: its native binding creates typed arrays
// in Node's main realm, which onnxruntime-common (loaded in jest's sandbox) rejects by instanceof.
// Giving the sandbox the main realm's typed-array constructors makes both sides agree.
import { TestEnvironment } from 'jest-environment-node';

const SHARED_CONSTRUCTORS = [
  'ArrayBuffer',
  'Float32Array',
  'Float64Array',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'BigInt64Array',
  'BigUint64Array',
];

export default class NativeArraysEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED_CONSTRUCTORS) this.global[name] = globalThis[name];
  }
}
