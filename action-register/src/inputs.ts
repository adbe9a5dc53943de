// action-register's inputs, parsed once into a typed object: every rule that can be checked
// without Azure (names, paths, which inputs go with which kind) fails here, before any request.

import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_DATASTORE, NAME_RULES } from '../../shared/azure/names.js';
import { readCommonInputs, type CommonSettings } from '../../shared/azure/settings.js';
import { InputError } from '../../shared/errors.js';
import type { InputReader } from '../../shared/inputs/reader.js';

export const ASSET_KINDS = ['model', 'data', 'environment'] as const;
export const MODEL_TYPES = ['custom_model', 'mlflow_model', 'triton_model'] as const;
export const DATA_TYPES = ['uri_file', 'uri_folder', 'mltable'] as const;
export type AssetKind = (typeof ASSET_KINDS)[number];
export type ModelType = (typeof MODEL_TYPES)[number];
export type DataType = (typeof DATA_TYPES)[number];

/** Where the asset's content comes from. */
export type AssetSource =
  | { kind: 'local'; path: string; isDirectory: boolean }
  /** An existing azureml:// or https:// location, registered without upload (data only). */
  | { kind: 'uri'; uri: string };

interface AssetCommon {
  name: string;
  /** 'auto' or an explicit version. */
  version: string;
  description: string | undefined;
  tags: Record<string, string>;
  properties: Record<string, string>;
  dedupe: boolean;
  lineageTags: boolean;
  /** Workspace datastore that receives uploaded files (key-based or identity-based). */
  datastore: string;
}

export type AssetSpec =
  | (AssetCommon & {
      kind: 'model';
      source: { kind: 'local'; path: string; isDirectory: boolean };
      modelType: ModelType;
      modelTypeDetected: boolean;
    })
  | (AssetCommon & { kind: 'data'; source: AssetSource; dataType: DataType; dataTypeInferred: boolean })
  | (AssetCommon & {
      kind: 'environment';
      image: string | undefined;
      condaFile: string | undefined;
      buildContext: string | undefined;
    });

export interface RegisterInputs {
  common: CommonSettings;
  asset: AssetSpec;
}

const REMOTE_URI = /^(azureml|https):\/\/\S+$/;
const IMAGE = /^[a-z0-9]+(?:[._\-/:@][a-zA-Z0-9]+)*$/;

export function readRegisterInputs(reader: InputReader): RegisterInputs {
  const kind = reader.enumeration('kind', ASSET_KINDS, 'model');
  const assetCommon: AssetCommon = {
    name: reader.requiredString('name', {
      pattern: NAME_RULES.asset.pattern,
      allowed: `it must be ${NAME_RULES.asset.allowed}`,
    }),
    version:
      reader.optionalString('version', {
        pattern: NAME_RULES.assetVersion.pattern,
        allowed: `it must be ${NAME_RULES.assetVersion.allowed}`,
      }) ?? 'auto',
    description: reader.optionalString('description', { maxLength: 5000 }),
    tags: reader.keyValueMap('tags'),
    properties: reader.keyValueMap('properties'),
    dedupe: reader.boolean('dedupe', true),
    lineageTags: reader.boolean('lineage-tags', true),
    datastore:
      reader.optionalString('datastore', {
        pattern: NAME_RULES.datastore.pattern,
        allowed: `it must be ${NAME_RULES.datastore.allowed}`,
      }) ?? DEFAULT_DATASTORE,
  };
  const modelType = reader.enumeration('model-type', MODEL_TYPES, undefined);
  const dataType = reader.enumeration('data-type', DATA_TYPES, undefined);
  const image = reader.optionalString('image', {
    maxLength: 255, // Docker references stop at 255 characters
    pattern: IMAGE,
    allowed: 'it must be a Docker image reference such as mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest.',
  });
  const condaFile = reader.path('conda-file', { kind: 'file' });
  refuseUnless(reader, kind, 'model', { 'model-type': modelType });
  refuseUnless(reader, kind, 'data', { 'data-type': dataType });
  refuseUnless(reader, kind, 'environment', { image, 'conda-file': condaFile });
  const asset = readAsset(reader, kind, assetCommon, modelType, dataType, image, condaFile);
  if (asset.datastore !== DEFAULT_DATASTORE && !uploads(asset)) {
    throw new InputError(
      reader.nameOf('datastore'),
      asset.datastore,
      "it applies only when files are uploaded: 'path' must be a local file or folder (an environment's build context).",
    );
  }
  return { common: readCommonInputs(reader), asset };
}

/** True when the asset's content is uploaded to a datastore. */
export function uploads(asset: AssetSpec): boolean {
  if (asset.kind === 'environment') return asset.buildContext !== undefined;
  return asset.source.kind === 'local';
}

function readAsset(
  reader: InputReader,
  kind: AssetKind,
  assetCommon: AssetCommon,
  modelType: ModelType | undefined,
  dataType: DataType | undefined,
  image: string | undefined,
  condaFile: string | undefined,
): AssetSpec {
  switch (kind) {
    case 'model': {
      const source = readLocalSource(reader);
      const detected = modelType === undefined;
      const type =
        modelType ??
        (source.isDirectory && existsSync(path.join(source.path, 'MLmodel')) ? 'mlflow_model' : 'custom_model');
      if (type === 'triton_model' && !source.isDirectory) {
        throw new InputError(
          reader.nameOf('path'),
          reader.raw('path'),
          "a 'triton_model' must be a folder in the Triton model repository layout (MODEL/VERSION/model.onnx).",
        );
      }
      if (type === 'mlflow_model' && !(source.isDirectory && existsSync(path.join(source.path, 'MLmodel')))) {
        throw new InputError(
          reader.nameOf('path'),
          reader.raw('path'),
          "an 'mlflow_model' must be a folder containing an MLmodel file.",
        );
      }
      return { ...assetCommon, kind, source, modelType: type, modelTypeDetected: detected };
    }
    case 'data': {
      const raw = reader.requiredString('path');
      const source: AssetSource = REMOTE_URI.test(raw) ? { kind: 'uri', uri: raw } : readLocalSource(reader);
      const inferred = inferDataType(source);
      const type = dataType ?? inferred;
      if (source.kind === 'local' && type === 'uri_file' && source.isDirectory) {
        throw new InputError(
          reader.nameOf('data-type'),
          'uri_file',
          "the path is a folder; use 'uri_folder' or 'mltable'.",
        );
      }
      if (source.kind === 'local' && type !== 'uri_file' && !source.isDirectory) {
        throw new InputError(reader.nameOf('data-type'), type, "the path is a file; use 'uri_file'.");
      }
      if (source.kind === 'local' && type === 'mltable' && !existsSync(path.join(source.path, 'MLTable'))) {
        throw new InputError(reader.nameOf('data-type'), type, "an 'mltable' folder must contain an MLTable file.");
      }
      return { ...assetCommon, kind, source, dataType: type, dataTypeInferred: dataType === undefined };
    }
    case 'environment': {
      const buildContext = reader.path('path', { kind: 'directory' });
      if (image === undefined && buildContext === undefined) {
        throw new InputError(
          reader.nameOf('image'),
          '',
          "an environment needs 'image' (optionally with 'conda-file') or 'path' (a Docker build context folder).",
        );
      }
      if (condaFile !== undefined && image === undefined) {
        throw new InputError(
          reader.nameOf('conda-file'),
          reader.raw('conda-file'),
          "it is used on top of a base 'image'; set 'image' too.",
        );
      }
      if (buildContext !== undefined && image !== undefined) {
        throw new InputError(reader.nameOf('image'), image, "give either 'image' or a build context 'path', not both.");
      }
      if (buildContext !== undefined && !existsSync(path.join(buildContext, 'Dockerfile'))) {
        throw new InputError(
          reader.nameOf('path'),
          reader.raw('path'),
          'a Docker build context folder must contain a Dockerfile.',
        );
      }
      return { ...assetCommon, kind, image, condaFile, buildContext };
    }
  }
}

function readLocalSource(reader: InputReader): { kind: 'local'; path: string; isDirectory: boolean } {
  const resolved = reader.path('path', { required: true, kind: 'file-or-directory' });
  return { kind: 'local', path: resolved, isDirectory: statSync(resolved).isDirectory() };
}

function inferDataType(source: AssetSource): DataType {
  if (source.kind === 'uri') return source.uri.endsWith('/') ? 'uri_folder' : 'uri_file';
  if (!source.isDirectory) return 'uri_file';
  return existsSync(path.join(source.path, 'MLTable')) ? 'mltable' : 'uri_folder';
}

/** Fails when inputs that belong to another kind are set, instead of silently ignoring them. */
function refuseUnless(
  reader: InputReader,
  kind: AssetKind,
  owner: AssetKind,
  values: Record<string, string | undefined>,
) {
  if (kind === owner) return;
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) {
      throw new InputError(
        reader.nameOf(name),
        reader.raw(name),
        `it applies only to kind '${owner}' (kind is '${kind}').`,
      );
    }
  }
}
