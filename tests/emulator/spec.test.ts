// The emulator's schema validation against Microsoft's 2022-10-01 swagger: the spec examples'
// request bodies pass it, bodies that break the schema are refused with 400 by the emulator.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SpecValidator, specDir } from '../../emulator/spec.js';
import type { RunningEmulator } from '../../emulator/index.js';
import { ARM_SCOPE, oidcCredential, start } from './helpers.js';

const validator = new SpecValidator(specDir());

describe('spec examples', () => {
  it('every 2022-10-01 example request body passes the emulator schema validation, and example responses too', () => {
    let requests = 0;
    const failures: string[] = [];
    for (const op of validator.operations.values()) {
      for (const file of op.examples) {
        if (!existsSync(file)) continue;
        const example = JSON.parse(readFileSync(file, 'utf8')) as {
          parameters?: Record<string, unknown>;
          responses?: Record<string, { body?: unknown }>;
        };
        const body = Object.entries(example.parameters ?? {}).find(([k]) => k === 'body' || k === 'parameters')?.[1];
        if (op.requestSchema && body !== undefined) {
          requests++;
          for (const p of validator.validate(op.requestSchema, body, '$', 'request'))
            failures.push(`${op.operationId} request: ${p}`);
        }
        for (const [status, r] of Object.entries(example.responses ?? {})) {
          const schema = op.responses[status];
          if (schema && r.body !== undefined)
            for (const p of validator.validate(schema, r.body)) failures.push(`${op.operationId} ${status}: ${p}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThanOrEqual(20);
  });

  it('finds violations: unknown properties, wrong types, bad enums, missing required, unknown discriminator', () => {
    const put = validator.operations.get('DataVersions_CreateOrUpdate')!.requestSchema!;
    expect(
      validator.validate(put, { properties: { dataType: 'uri_file', dataUri: 'azureml://x' } }, '$', 'request'),
    ).toEqual([]);
    expect(
      validator.validate(
        put,
        { properties: { dataType: 'uri_file', dataUri: 'azureml://x', bogus: 1 } },
        '$',
        'request',
      ),
    ).toEqual(['$.properties.bogus: not a property of this schema']);
    expect(validator.validate(put, { properties: { dataType: 'uri_file' } }, '$', 'request')).toEqual([
      '$.properties.dataUri: required',
    ]);
    expect(
      validator.validate(put, { properties: { dataType: 'csv', dataUri: 'azureml://x' } }, '$', 'request')[0],
    ).toContain('unknown value');
    const model = validator.operations.get('ModelVersions_CreateOrUpdate')!.requestSchema!;
    expect(validator.validate(model, { properties: { modelUri: 5, isArchived: 'no' } }, '$', 'request')).toEqual([
      '$.properties.modelUri: expected a string',
      '$.properties.isArchived: expected a boolean',
    ]);
  });
});

describe('validation in the emulator', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await start();
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it('refuses a request body that breaks the schema with 400 naming the field', async () => {
    const token = (await (await oidcCredential(emu)).getToken(ARM_SCOPE)).token;
    const res = await fetch(`${emu.workspaceId.replace(/^/, emu.armUrl)}/models/m/versions/1?api-version=2022-10-01`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ properties: { modelUri: 'azureml://x/y', flavours: {} } }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; details: { target: string }[] } };
    expect(body.error.message).toContain('$.properties.flavours: not a property of this schema');
    expect(body.error.details[0]?.target).toBe('$.properties.flavours');
  });
});
