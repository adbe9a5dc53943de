// Test helper for tests/scoring/score-py.test.ts: runs an ONNX model with onnxruntime-node for the
// Python onnxruntime stand-in, one JSON request per stdin line, one JSON reply per stdout line.
import { createInterface } from 'node:readline';
import ort from 'onnxruntime-node';

const ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

const session = await ort.InferenceSession.create(process.argv[2], { logSeverityLevel: 4 });
const describe = (metadata) =>
  metadata.map(({ name, type, shape }) => ({
    name,
    type,
    shape: shape.map((dim) => (typeof dim === 'number' && dim < 0 ? null : dim)),
  }));

for await (const line of createInterface({ input: process.stdin })) {
  const request = JSON.parse(line);
  let reply;
  if (request.op === 'describe') {
    reply = { inputs: describe(session.inputMetadata), outputs: describe(session.outputMetadata) };
  } else {
    try {
      const feeds = {};
      for (const [name, { type, dims, data }] of Object.entries(request.feeds)) {
        const values = type === 'int64' || type === 'uint64' ? data.map(BigInt) : data.map(Number);
        feeds[name] = new ort.Tensor(type, ARRAYS[type].from(values), dims);
      }
      const results = await session.run(feeds);
      reply = {
        outputs: Object.entries(results).map(([name, tensor]) => ({
          name,
          type: tensor.type,
          dims: tensor.dims,
          data: Array.from(tensor.data, (value) => (typeof value === 'bigint' ? value.toString() : value)),
        })),
      };
    } catch (error) {
      reply = { error: error.message };
    }
  }
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}
