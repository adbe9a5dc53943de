// The emulator's schema validation against Microsoft's 2022-10-01 swagger: the spec examples'
// request bodies pass it, bodies that break the schema are refused with 400 by the emulator.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SpecValidator, nearestSpecVersion } from '../../emulator/spec.js';
import type { RunningEmulator } from '../../emulator/index.js';
import { SPEC_DIR, describeWithSpec } from '../support/spec.js';
import { ARM_SCOPE, oidcCredential, start } from './helpers.js';

// Built only when a spec is found; every suite here skips otherwise (tests/support/spec.ts).
const validator = SPEC_DIR ? new SpecValidator(SPEC_DIR) : (undefined as unknown as SpecValidator);

describeWithSpec('spec examples', () => {
  it.each([
    ['2022-10-01', 20],
    ['2024-04-01', 80],
  ] as const)(
    'every %s example request body passes the emulator schema validation, and example responses too',
    (version, atLeast) => {
      const pinned = new SpecValidator(SPEC_DIR!, version);
      let requests = 0;
      const failures: string[] = [];
      for (const op of pinned.operations.values()) {
        for (const file of op.examples) {
          if (!existsSync(file)) continue;
          const example = JSON.parse(readFileSync(file, 'utf8')) as {
            parameters?: Record<string, unknown>;
            responses?: Record<string, { body?: unknown }>;
          };
          const body = Object.entries(example.parameters ?? {}).find(([k]) => k === 'body' || k === 'parameters')?.[1];
          if (op.requestSchema && body !== undefined) {
            requests++;
            for (const p of pinned.validate(op.requestSchema, body, '$', 'request'))
              failures.push(`${op.operationId} request: ${p}`);
          }
          for (const [status, r] of Object.entries(example.responses ?? {})) {
            const schema = op.responses[status];
            if (schema && r.body !== undefined)
              for (const p of pinned.validate(schema, r.body)) failures.push(`${op.operationId} ${status}: ${p}`);
          }
        }
      }
      expect(failures).toEqual([]);
      expect(requests).toBeGreaterThanOrEqual(atLeast);
    },
  );

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

describeWithSpec('validation in the emulator', () => {
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

describe('the spec a request is judged by', () => {
  it.each([
    ['2022-10-01', '2022-10-01'],
    ['2024-04-01', '2024-04-01'],
    ['2022-10-01-preview', '2022-10-01'],
    ['2022-05-01', '2022-10-01'],
    ['2022-02-01-preview', '2022-10-01'],
    ['2023-04-01', '2024-04-01'],
    ['2023-08-01-preview', '2024-04-01'],
    ['2024-01-01-preview', '2024-04-01'],
    ['2024-10-01-preview', '2024-04-01'],
    ['2025-12-01', '2024-04-01'],
  ])('%s → the %s swagger (its own, else the first pinned at or after it)', (apiVersion, spec) => {
    expect(nearestSpecVersion(apiVersion)).toBe(spec);
  });
});

describeWithSpec('validation by api-version', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await start();
  });
  afterAll(async () => {
    await emu?.stop();
  });

  async function model(method: string, apiVersion: string, version: string, body?: unknown) {
    const token = (await (await oidcCredential(emu)).getToken(ARM_SCOPE)).token;
    const res = await fetch(
      `${emu.armUrl}${emu.workspaceId}/models/staged/versions/${version}?api-version=${apiVersion}`,
      {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
    );
    return {
      status: res.status,
      body: (await res.json()) as { properties?: Record<string, unknown>; error?: { message: string } },
    };
  }
  const staged = {
    properties: {
      modelType: 'custom_model',
      modelUri: 'azureml://datastores/workspaceblobstore/paths/m/model.onnx',
      stage: 'Development',
    },
  };

  it("takes a 2024-04-01 field at 2024-04-01 (a model version's stage) and refuses it at 2022-10-01", async () => {
    const old = await model('PUT', '2022-10-01', '1', staged);
    expect(old.status).toBe(400);
    expect(old.body.error?.message).toContain(
      'schema of api-version 2022-10-01: $.properties.stage: not a property of this schema',
    );
    const created = await model('PUT', '2024-04-01', '1', staged);
    expect(created.status).toBe(201);
    expect(created.body.properties?.stage).toBe('Development');
  });

  it('answers an older api-version without the newer fields, as ARM does (strict response validation passes)', async () => {
    const newer = await model('GET', '2024-04-01', '1');
    expect(newer.status).toBe(200);
    expect(newer.body.properties?.stage).toBe('Development');
    const older = await model('GET', '2022-10-01', '1');
    expect(older.status).toBe(200);
    expect(older.body.properties).not.toHaveProperty('stage');
    expect(older.body.properties?.modelUri).toBe(staged.properties.modelUri);
  });

  it('judges a preview api-version by the nearest pinned spec and says so', async () => {
    const bad = await model('PUT', '2022-05-01', '2', {
      properties: { ...staged.properties, stage: undefined, modelUrl: 'typo' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toContain(
      'schema of api-version 2022-05-01 (validated against the 2022-10-01 spec)',
    );
  });
});
