// jest's globalSetup (jest.config.js): names this jest run by the main process's pid, in the
// environment the workers inherit, so every file's figures and secrets ledger (secretScan.ts) and
// the globalTeardown that sums them agree on one folder per run.
export default function globalSetup() {
  process.env.AZUREML_JEST_RUN = String(process.pid);
}
