// The generic ONNX JSON contract (what our score.py serves for an ONNX custom_model on Azure):
// {"inputs": {name: nested arrays or scalar}} in, {"outputs": {name: nested arrays}} out.

import type { InferenceModel } from './inference.js';
import type { Tensor } from './tensor.js';
import { describeJson, nestedJson, tensorFromNested, TensorValueError } from './tensor.js';
import { checkShapes, describeInput, expectedOf, ScoringError } from './validate.js';

/**
 * Validates a parsed request body and turns it into the model's feeds. Every model input is
 * required: ORT lists only inputs without a default, so a missing one (silero's state `h`/`c`
 * included) is a 400 that says what to send, rather than zeros filled in silently, which would
 * turn a client's bug (dropped state) into plausible but wrong answers. score.py does the same.
 */
export function jsonContractFeeds(model: InferenceModel, body: unknown): Record<string, Tensor> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ScoringError(400, `The request body is ${describeJson(body)}; expected ${exampleBody(model)}`);
  }
  const fields = Object.keys(body);
  const unknownFields = fields.filter((field) => field !== 'inputs');
  if (unknownFields.length > 0) {
    throw new ScoringError(
      400,
      `Unknown field${unknownFields.length === 1 ? '' : 's'} ${unknownFields.map((field) => `'${field}'`).join(', ')} in the request body; expected ${exampleBody(model)}`,
    );
  }
  const inputs = (body as { inputs?: unknown }).inputs;
  if (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs)) {
    throw new ScoringError(
      400,
      `'inputs' is ${inputs === undefined ? 'missing' : describeJson(inputs)}; expected ${exampleBody(model)}`,
    );
  }
  const given = inputs as Record<string, unknown>;
  const known = new Set(model.inputs.map((info) => info.name));
  for (const name of Object.keys(given)) {
    if (!known.has(name)) {
      throw new ScoringError(
        400,
        `Unknown input '${name}'; the model's inputs are ${model.inputs.map((info) => `'${info.name}' (${describeInput(info)})`).join(', ')}`,
        { input: name },
      );
    }
  }
  const missing = model.inputs.filter((info) => given[info.name] === undefined);
  const first = missing[0];
  if (first !== undefined) {
    throw new ScoringError(
      400,
      `Missing input${missing.length === 1 ? '' : 's'} ${missing.map((info) => `'${info.name}' (${describeInput(info)})`).join(', ')}: ` +
        'every model input is required (for recurrent state such as an initial hidden state, send zeros of the declared shape)',
      { input: first.name, expected: expectedOf(first) },
    );
  }
  const feeds: Record<string, Tensor> = {};
  for (const info of model.inputs) {
    try {
      feeds[info.name] = tensorFromNested(info.type, given[info.name]);
    } catch (error) {
      if (!(error instanceof TensorValueError)) throw error;
      throw new ScoringError(400, `Input '${info.name}': ${error.message}; the model expects ${describeInput(info)}`, {
        input: info.name,
        expected: expectedOf(info),
      });
    }
  }
  checkShapes(model.inputs, feeds);
  return feeds;
}

/** The response body for the model's outputs: {"outputs": {name: nested arrays}} as JSON text. */
export function jsonContractResponse(outputs: Readonly<Record<string, Tensor>>, order: readonly string[]): string {
  const parts: string[] = ['{"outputs":{'];
  let first = true;
  for (const name of order) {
    const tensor = outputs[name];
    if (tensor === undefined) continue;
    if (!first) parts.push(',');
    first = false;
    parts.push(JSON.stringify(name), ':', nestedJson(tensor));
  }
  parts.push('}}');
  return parts.join('');
}

/** Scores one parsed request body with the JSON contract, returning the response body text. */
export async function scoreJsonContract(model: InferenceModel, body: unknown): Promise<string> {
  const feeds = jsonContractFeeds(model, body);
  const outputs = await runModel(model, feeds);
  return jsonContractResponse(
    outputs,
    model.outputs.map((info) => info.name),
  );
}

/**
 * Runs the model, reporting its own failures as 400: the inputs passed every declared check, so
 * what is left is the model rejecting their values or sizes (silero with 3 samples fails in Pad).
 */
export async function runModel(
  model: InferenceModel,
  feeds: Readonly<Record<string, Tensor>>,
  outputNames?: readonly string[],
): Promise<Record<string, Tensor>> {
  try {
    return await model.run(feeds, outputNames);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ScoringError(400, `The model could not run on these inputs: ${message}`);
  }
}

function exampleBody(model: InferenceModel): string {
  const names = model.inputs.map((info) => `"${info.name}": ...`).join(', ');
  return `{"inputs": {${names}}} with each input as nested arrays (or a bare value for a scalar)`;
}
