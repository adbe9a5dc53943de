// Where the ARM token may go besides ARM (shared/azure/dataPlane.ts): https to the cloud's Azure ML
// data-plane hosts only; a custom cloud (and the emulator) trusts its ARM endpoint's host alone.

import { describe, expect, it } from '@jest/globals';
import { KNOWN_CLOUDS, type Cloud } from '../../shared/azure/cloud.js';
import { isTrustedDataPlaneUrl, trustedDataPlaneUrl } from '../../shared/azure/dataPlane.js';

const custom: Cloud = { ...KNOWN_CLOUDS.AzureCloud, name: 'custom', mlDataPlaneHosts: ['127.0.0.1:8443'] };

describe('isTrustedDataPlaneUrl', () => {
  it.each([
    ['the regional discovery host', KNOWN_CLOUDS.AzureCloud, 'https://westeurope.api.azureml.ms/discovery', true],
    ['MLflow on the data plane', KNOWN_CLOUDS.AzureCloud, 'https://westeurope.api.azureml.ms/mlflow/v1.0/x', true],
    ['experiments host', KNOWN_CLOUDS.AzureCloud, 'https://westeurope.experiments.azureml.net/history', true],
    ['http to a data-plane host', KNOWN_CLOUDS.AzureCloud, 'http://westeurope.api.azureml.ms/discovery', false],
    ['another host', KNOWN_CLOUDS.AzureCloud, 'https://attacker.example/discovery', false],
    ['a look-alike suffix', KNOWN_CLOUDS.AzureCloud, 'https://api.azureml.ms.attacker.example/', false],
    ['the bare suffix without a label', KNOWN_CLOUDS.AzureCloud, 'https://api.azureml.ms/', false],
    ['credentials in the URL', KNOWN_CLOUDS.AzureCloud, 'https://a:b@westeurope.api.azureml.ms/', false],
    ['a port on a suffix host', KNOWN_CLOUDS.AzureCloud, 'https://westeurope.api.azureml.ms:8443/', false],
    ['another cloud\u2019s host', KNOWN_CLOUDS.AzureUSGovernment, 'https://westeurope.api.azureml.ms/', false],
    ['US Government data plane', KNOWN_CLOUDS.AzureUSGovernment, 'https://usgovarizona.api.ml.azure.us/', true],
    ['China data plane', KNOWN_CLOUDS.AzureChinaCloud, 'https://chinaeast2.api.ml.azure.cn/', true],
    ['custom: the ARM host and port', custom, 'https://127.0.0.1:8443/discovery', true],
    ['custom: the same host, another port', custom, 'https://127.0.0.1:9443/discovery', false],
    ['custom: http', custom, 'http://127.0.0.1:8443/discovery', false],
    ['not a URL', custom, 'not a url', false],
  ])('%s', (_name, cloud, url, trusted) => {
    expect(isTrustedDataPlaneUrl(cloud, url)).toBe(trusted);
  });

  it('names what pointed where, and what is allowed, without the path or query', () => {
    expect(() =>
      trustedDataPlaneUrl(KNOWN_CLOUDS.AzureCloud, 'https://attacker.example/x?sig=s', "The workspace's discoveryUrl"),
    ).toThrow(
      `The workspace's discoveryUrl points at "https://attacker.example": the Azure token is only sent over https to the Azure ML data plane of cloud 'AzureCloud' (*.api.azureml.ms, *.experiments.azureml.net).`,
    );
  });
});
