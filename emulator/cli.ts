// `npm run emulator -- [--port N] [--config FILE] [--state-dir DIR]`: starts the emulator, prints the
// contract as one JSON line on stdout (first line), writes the env file, stops on SIGTERM/SIGINT.
// `--ensure-ca` only makes sure the CA exists and prints its path (for test runners'
// NODE_EXTRA_CA_CERTS); with `--spec-status` it then prints where the REST spec was found (or why
// not) as one JSON line, so `npm test` learns both from one start.
import { ensureCa } from './ca.js';
import { startAzurite } from './azurite.js';
import { locateSpec, missingSpecMessage } from './specSource.js';
import type { StartEmulatorOptions } from './index.js';

type CliOptions = StartEmulatorOptions & { ensureCaOnly?: boolean; specStatus?: boolean };

function parseArgs(argv: string[]): CliOptions {
  const out: CliOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port': {
        const p = Number(value());
        if (!Number.isInteger(p) || p < 0 || p > 65535)
          throw new Error('--port must be a port number (0 = any free port)');
        out.port = p;
        break;
      }
      case '--config':
        out.config = value();
        break;
      case '--state-dir':
        out.stateDir = value();
        break;
      case '--env-file':
        out.envFile = value();
        break;
      case '--no-azurite':
        out.azurite = false;
        break;
      case '--ensure-ca':
        out.ensureCaOnly = true;
        break;
      case '--spec-status':
        out.specStatus = true;
        break;
      default:
        throw new Error(
          `unknown option ${a}; usage: npm run emulator -- [--port N] [--config FILE] [--state-dir DIR] [--env-file FILE] [--no-azurite] [--ensure-ca [--spec-status]]`,
        );
    }
  }
  return out;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.ensureCaOnly) {
    process.stdout.write(`${ensureCa().caFile}\n`);
    if (options.specStatus) {
      const found = locateSpec();
      const status = 'reason' in found ? { ...found, message: missingSpecMessage(found.reason) } : found;
      process.stdout.write(`${JSON.stringify(status)}\n`);
    }
    return;
  }
  // Azurite takes seconds to start: start it first, then load the rest of the emulator meanwhile.
  if (options.azurite !== false) {
    options.azuriteProcess = startAzurite(options.stateDir ? { stateDir: options.stateDir } : {});
    options.azuriteProcess.catch(() => undefined);
  }
  const { startEmulator } = await import('./index.js');
  const emulator = await startEmulator(options);
  const { stop: _stop, context: _context, setScoring: _setScoring, env: _env, ...contract } = emulator;
  process.stdout.write(`${JSON.stringify(contract)}\n`);
  process.stderr.write(
    `azureml emulator: ARM ${contract.armUrl}, blob ${contract.blobUrl || '(off)'}, env file ${contract.envFile}\n`,
  );
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`azureml emulator: ${signal}, stopping\n`);
    emulator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`azureml emulator: stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`azureml emulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
