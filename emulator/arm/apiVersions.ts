// Which api-versions of Microsoft.MachineLearningServices the emulator serves, and where a version's
// differences from 2022-10-01 go.
//
// 2022-10-01 is what `@azure/arm-machinelearning` 2.1.1 sends and what the swagger in
// ../shared/azure-spec describes. Microsoft's Python SDK v2 (azure-ai-ml 1.4) sends 2022-02-01-preview
// (online endpoints), 2022-05-01 (models, code), 2022-10-01-preview (workspaces, computes, jobs): to
// serve one, add it to `apiVersions` below with an adapter that rewrites request bodies into the
// 2022-10-01 shape and responses back into its own (e.g. 2022-05-01 model responses must carry
// `properties.flavors` as an object), and list the differences in emulator/README.md.

export interface ApiVersionAdapter {
  /** Request body in this version's shape → the 2022-10-01 shape the handlers use. */
  request?(operationId: string, body: unknown): unknown;
  /** Response body in the 2022-10-01 shape → this version's shape. */
  response?(operationId: string, body: unknown): unknown;
}

export const armApiVersions: Record<string, ApiVersionAdapter> = {
  '2022-10-01': {},
};

/** api-versions of Microsoft.Authorization the permissions API accepts. */
export const authorizationApiVersions = ['2015-07-01', '2018-01-01-preview', '2022-04-01'];
