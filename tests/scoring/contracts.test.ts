import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { handleScoringRequest, loadModel } from '../../shared/scoring/index.js';
import type { InferenceModel, ScoringContract, ScoringResponse } from '../../shared/scoring/index.js';
import { SILERO_PATH, sileroJsonBody, speechLikeFrame, zeroState } from './fixtures.js';

let model: InferenceModel;
const json: ScoringContract = { kind: 'json' };
const triton: ScoringContract = { kind: 'kserve-v2', name: 'silero_vad', version: '1' };

beforeAll(async () => {
  model = await loadModel(SILERO_PATH, { backend: 'onnxruntime-web' });
});
afterAll(async () => {
  await model?.close();
});

async function call(
  contract: ScoringContract,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown>; response: ScoringResponse }> {
  const response = await handleScoringRequest(model, contract, {
    method,
    path,
    body: body === undefined ? undefined : typeof body === 'string' ? body : Buffer.from(JSON.stringify(body)),
  });
  return { status: response.status, json: JSON.parse(response.body) as Record<string, unknown>, response };
}

/** The probability silero gives for a frame from zero state, straight from the model. */
async function directProbability(frame: number[]): Promise<number> {
  const outputs = await model.run({
    input: { type: 'float32', dims: [1, 512], data: Float32Array.from(frame) },
    sr: { type: 'int64', dims: [], data: BigInt64Array.from([16000n]) },
    h: { type: 'float32', dims: [2, 1, 64], data: new Float32Array(128) },
    c: { type: 'float32', dims: [2, 1, 64], data: new Float32Array(128) },
  });
  return (outputs.output?.data as Float32Array)[0] as number;
}

function kserveBody(overrides: Record<string, Record<string, unknown>> = {}, frame = speechLikeFrame()): unknown {
  const inputs = [
    { name: 'input', shape: [1, 512], datatype: 'FP32', data: frame },
    { name: 'sr', shape: [], datatype: 'INT64', data: [16000] },
    { name: 'h', shape: [2, 1, 64], datatype: 'FP32', data: new Array<number>(128).fill(0) },
    { name: 'c', shape: [2, 1, 64], datatype: 'FP32', data: new Array<number>(128).fill(0) },
  ].map((input) => ({ ...input, ...(overrides[input.name] ?? {}) }));
  return { inputs };
}

describe('generic ONNX JSON contract (POST /score)', () => {
  test('scores silero_vad: named nested outputs with the model output values', async () => {
    const frame = speechLikeFrame(11);
    const { status, json: body, response } = await call(json, 'POST', '/score', sileroJsonBody(frame));
    expect(status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const outputs = body.outputs as Record<string, unknown>;
    expect(Object.keys(outputs)).toEqual(['output', 'hn', 'cn']);
    const probability = (outputs.output as number[][])[0]?.[0] as number;
    expect(probability).toBeCloseTo(await directProbability(frame), 6);
    const hn = outputs.hn as number[][][];
    expect([hn.length, hn[0]?.length, hn[0]?.[0]?.length]).toEqual([2, 1, 64]);
  });

  test('accepts an int64 as a string of digits and ignores a query string', async () => {
    const body = sileroJsonBody();
    body.inputs.sr = '16000';
    const { status } = await call(json, 'POST', '/score?verbose=1', body);
    expect(status).toBe(200);
  });

  const invalid: [string, (body: { inputs: Record<string, unknown> }) => unknown, RegExp, string | undefined][] = [
    ['a body that is an array', () => [1, 2], /request body is an array of 2; expected \{"inputs"/, undefined],
    ['an unknown top-level field', (body) => ({ ...body, data: [1] }), /Unknown field 'data'/, undefined],
    ['no inputs object', () => ({}), /'inputs' is missing/, undefined],
    [
      'an unknown input name',
      (body) => ({ inputs: { ...body.inputs, state: [0] } }),
      /Unknown input 'state'.*'h' \(float32 \[2, batch, 64\]\)/,
      'state',
    ],
    [
      'a missing state input',
      (body) => ({ inputs: { input: body.inputs.input, sr: 16000 } }),
      /Missing inputs 'h' \(float32 \[2, batch, 64\]\), 'c' .*every model input is required/,
      'h',
    ],
    [
      'a string where float32 is expected',
      (body) => ({ inputs: { ...body.inputs, input: [['x', ...speechLikeFrame().slice(1)]] } }),
      /Input 'input': the element at \[0\]\[0\] is "x"; expected a number \(float32\)/,
      'input',
    ],
    [
      'a fraction where int64 is expected',
      (body) => ({ inputs: { ...body.inputs, sr: 16000.5 } }),
      /Input 'sr': the value is 16000.5; expected an integer \(int64/,
      'sr',
    ],
    [
      'a ragged nested array',
      (body) => ({ inputs: { ...body.inputs, h: [[new Array(64).fill(0)], [new Array(63).fill(0)]] } }),
      /Input 'h': the array at \[1\]\[0\] has 63 items where its siblings have 64/,
      'h',
    ],
    [
      'an array for a scalar input',
      (body) => ({ inputs: { ...body.inputs, sr: [16000] } }),
      /Input 'sr' has shape \[1\]; the model expects int64 \[\]: a scalar/,
      'sr',
    ],
    [
      'a wrong fixed dimension',
      (body) => ({ inputs: { ...body.inputs, c: [[new Array(63).fill(0)], [new Array(63).fill(0)]] } }),
      /Input 'c' has shape \[2, 1, 63\]; the model expects float32 \[2, batch, 64\]: dimension 2 must be 64/,
      'c',
    ],
    [
      'a wrong rank',
      (body) => ({ inputs: { ...body.inputs, input: speechLikeFrame() } }),
      /Input 'input' has shape \[512\]; the model expects float32 \[batch, sequence\]: 2 dimensions, got 1/,
      'input',
    ],
    [
      'batch sizes that disagree',
      (body) => ({ inputs: { ...body.inputs, input: [speechLikeFrame(), speechLikeFrame(2)] } }),
      /Input 'h' .*dimension 1 \(batch\) is 1, but input 'input' set batch to 2/,
      'h',
    ],
  ];
  test.each(invalid)('400 for %s, naming the input and what it expects', async (_label, mutate, message, input) => {
    const { status, json: body } = await call(json, 'POST', '/score', mutate(sileroJsonBody()));
    expect(status).toBe(400);
    expect(body.error).toMatch(message);
    expect(body.input).toBe(input);
    if (input === 'h') expect(body.expected).toEqual({ dtype: 'float32', shape: [2, 'batch', 64] });
  });

  test('400 for a body that is not JSON, or empty', async () => {
    const notJson = await call(json, 'POST', '/score', '{"inputs": ');
    expect(notJson.status).toBe(400);
    expect(notJson.json.error).toMatch(/not valid JSON/);
    const empty = await call(json, 'POST', '/score', '');
    expect(empty.json.error).toMatch(/body is empty/);
  });

  test('400 when the model itself rejects the values (3 samples), with its reason', async () => {
    const body = sileroJsonBody();
    body.inputs.input = [[0.1, 0.2, 0.3]];
    const { status, json: error } = await call(json, 'POST', '/score', body);
    expect(status).toBe(400);
    expect(error.error).toMatch(/The model could not run on these inputs: .*Pad/);
  });

  test('liveness at GET /, 405 for GET /score, 404 elsewhere', async () => {
    expect((await call(json, 'GET', '/')).status).toBe(200);
    const wrongMethod = await call(json, 'GET', '/score');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.response.headers.allow).toBe('POST');
    const elsewhere = await call(json, 'POST', '/v2/models/silero_vad/infer', kserveBody());
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.json.error).toMatch(/serves POST \/score/);
  });
});

describe('KServe v2 contract (triton_model)', () => {
  test('infers silero_vad: flat row-major outputs with datatypes and shapes, the id echoed', async () => {
    const frame = speechLikeFrame(5);
    const { status, json: body } = await call(triton, 'POST', '/v2/models/silero_vad/infer', {
      id: 'req-1',
      ...(kserveBody({}, frame) as object),
    });
    expect(status).toBe(200);
    expect(body.model_name).toBe('silero_vad');
    expect(body.model_version).toBe('1');
    expect(body.id).toBe('req-1');
    const outputs = body.outputs as { name: string; datatype: string; shape: number[]; data: number[] }[];
    expect(outputs.map((output) => [output.name, output.datatype, output.shape, output.data.length])).toEqual([
      ['output', 'FP32', [1, 1], 1],
      ['hn', 'FP32', [2, 1, 64], 128],
      ['cn', 'FP32', [2, 1, 64], 128],
    ]);
    expect(outputs[0]?.data[0]).toBeCloseTo(await directProbability(frame), 6);
  });

  test('takes shape [1] for a scalar input, as Triton clients send it (Triton configs cannot declare 0-d)', async () => {
    const { status } = await call(triton, 'POST', '/v2/models/silero_vad/infer', kserveBody({ sr: { shape: [1] } }));
    expect(status).toBe(200);
    const twoValues = await call(
      triton,
      'POST',
      '/v2/models/silero_vad/infer',
      kserveBody({ sr: { shape: [2], data: [16000, 16000] } }),
    );
    expect(twoValues.status).toBe(400);
    expect(twoValues.json.error).toMatch(
      /Input 'sr' has shape \[2\]; the model expects INT64 \[\]: a scalar \(shape \[\] or \[1\], with one datum\)/,
    );
  });

  test('accepts nested data, a versioned URL and a subset of outputs', async () => {
    const body = kserveBody({ h: { data: zeroState() }, c: { data: zeroState() } }) as Record<string, unknown>;
    body.outputs = [{ name: 'output' }];
    const { status, json: response } = await call(triton, 'POST', '/v2/models/silero_vad/versions/1/infer', body);
    expect(status).toBe(200);
    expect((response.outputs as { name: string }[]).map((output) => output.name)).toEqual(['output']);
  });

  const invalid: [string, unknown, number, RegExp][] = [
    [
      'a wrong datatype',
      kserveBody({ input: { datatype: 'FP64' } }),
      400,
      /Input 'input' has datatype FP64; the model expects FP32 \[-1, -1\]/,
    ],
    [
      'a shape that disagrees with the model',
      kserveBody({ h: { shape: [2, 1, 32], data: new Array(64).fill(0) } }),
      400,
      /Input 'h' has shape \[2, 1, 32\]; the model expects FP32 \[2, -1, 64\]: dimension 2 must be 64/,
    ],
    [
      'data that does not fill the shape',
      kserveBody({ input: { shape: [1, 600] } }),
      400,
      /Input 'input' \(shape \[1, 600\]\): 'data' has 512 elements but shape \[1, 600\] needs 600/,
    ],
    [
      'a wrong element',
      kserveBody({ sr: { data: [true] } }),
      400,
      /Input 'sr' \(shape \[\]\): the element at \[0\] is true; expected an integer \(int64/,
    ],
    [
      'an unknown input',
      {
        inputs: [
          ...(kserveBody() as { inputs: object[] }).inputs,
          { name: 'x', shape: [1], datatype: 'FP32', data: [1] },
        ],
      },
      400,
      /unexpected inference input 'x' for model 'silero_vad'/,
    ],
    [
      'a missing input',
      { inputs: (kserveBody() as { inputs: object[] }).inputs.slice(0, 2) },
      400,
      /expected 4 inputs but got 2 inputs for model 'silero_vad'; missing 'h' \(FP32 \[2, -1, 64\]\), 'c'/,
    ],
    [
      'an input given twice',
      { inputs: [...(kserveBody() as { inputs: object[] }).inputs, (kserveBody() as { inputs: object[] }).inputs[1]] },
      400,
      /Input 'sr' is given more than once/,
    ],
    [
      'an unknown output',
      { ...(kserveBody() as object), outputs: [{ name: 'prob' }] },
      400,
      /unexpected inference output 'prob'.*'output', 'hn', 'cn'/,
    ],
    [
      'the binary data extension',
      { ...(kserveBody() as object), parameters: { binary_data_output: true } },
      400,
      /binary tensor data extension, which this server does not support/,
    ],
    ['no inputs array', { inputs: {} }, 400, /'inputs' must be a non-empty array/],
    ['a body that is not JSON', 'not json', 400, /not valid JSON/],
  ];
  test.each(invalid)('error body {"error"} for %s', async (_label, body, status, message) => {
    const result = await call(triton, 'POST', '/v2/models/silero_vad/infer', body);
    expect(result.status).toBe(status);
    expect(Object.keys(result.json)).toEqual(['error']);
    expect(result.json.error).toMatch(message);
  });

  test('404 for another model name or version', async () => {
    const otherModel = await call(triton, 'POST', '/v2/models/vad/infer', kserveBody());
    expect(otherModel.status).toBe(404);
    expect(otherModel.json).toEqual({
      error: "Request for unknown model: 'vad' is not found (this endpoint serves 'silero_vad')",
    });
    const otherVersion = await call(triton, 'GET', '/v2/models/silero_vad/versions/2/ready');
    expect(otherVersion.status).toBe(404);
  });

  test('model metadata names inputs and outputs with KServe datatypes and -1 for dynamic dims', async () => {
    for (const path of ['/v2/models/silero_vad', '/v2/models/silero_vad/versions/1']) {
      const { status, json: metadata } = await call(triton, 'GET', path);
      expect(status).toBe(200);
      expect(metadata).toEqual({
        name: 'silero_vad',
        versions: ['1'],
        platform: 'onnxruntime_onnx',
        inputs: [
          { name: 'input', datatype: 'FP32', shape: [-1, -1] },
          { name: 'sr', datatype: 'INT64', shape: [] },
          { name: 'h', datatype: 'FP32', shape: [2, -1, 64] },
          { name: 'c', datatype: 'FP32', shape: [2, -1, 64] },
        ],
        outputs: [
          { name: 'output', datatype: 'FP32', shape: [-1, 1] },
          { name: 'hn', datatype: 'FP32', shape: [2, -1, 64] },
          { name: 'cn', datatype: 'FP32', shape: [2, -1, 64] },
        ],
      });
    }
  });

  test('health and readiness routes answer 200; server metadata at GET /v2', async () => {
    for (const path of [
      '/v2/health/live',
      '/v2/health/ready',
      '/v2/models/silero_vad/ready',
      '/v2/models/silero_vad/versions/1/ready',
    ]) {
      expect([path, (await call(triton, 'GET', path)).status]).toEqual([path, 200]);
    }
    expect((await call(triton, 'GET', '/v2')).json).toMatchObject({ extensions: [] });
    expect((await call(triton, 'POST', '/v2/health/ready')).status).toBe(405);
    expect((await call(triton, 'GET', '/v2/models/silero_vad/infer')).status).toBe(405);
    expect((await call(triton, 'POST', '/score', {})).status).toBe(404);
  });
});
