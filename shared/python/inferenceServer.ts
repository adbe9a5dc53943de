// Microsoft's inference server (azureml-inference-server-http, `azmlinfsrv`) serving a scoring
// script as Azure starts it: the entry script, AZUREML_MODEL_DIR, AML_APP_ROOT, the deployment's
// environment variables. Bound to 127.0.0.1 only (azmlinfsrv binds 0.0.0.0, which would open an
// unauthenticated port beside the key-checking front); stopped with its whole process group.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * Starts azmlinfsrv's own `run()` with the host it binds replaced, as the server process's parent
 * death signal set (Linux), so a front that dies without stopping it does not leave it behind.
 */
const LAUNCHER = [
  'import sys',
  'try:',
  '    import ctypes',
  '    ctypes.CDLL("libc.so.6").prctl(1, 15)  # PR_SET_PDEATHSIG, SIGTERM',
  'except Exception:',
  '    pass',
  'import azureml_inference_server_http.amlserver as server',
  'server.DEFAULT_HOST = "127.0.0.1"',
  'sys.argv[0] = "azmlinfsrv"',
  'server.run()',
].join('\n');

/** Variables of the parent a server may see: what Python and the OS need, nothing of the runner's or emulator's. */
const PASSED_ENVIRONMENT = ['PATH', 'HOME', 'TMPDIR', 'TEMP', 'TMP', 'LANG', 'LANGUAGE', 'TZ', 'SYSTEMROOT'];

export interface InferenceServerOptions {
  python: string;
  entryScript: string;
  /** The code folder (AML_APP_ROOT, the working directory). */
  appRoot: string;
  /** AZUREML_MODEL_DIR, when the deployment has a model. */
  modelDir: string | undefined;
  /** The deployment's environment variables (and any the caller adds, such as MLFLOW_MODEL_FOLDER). */
  environment: Record<string, string>;
  /** Each line the server prints, as printed. */
  onOutput: (line: string) => void;
  readyTimeoutMs?: number;
}

export interface InferenceServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  pid: number;
  /** Resolves with the exit code when the process ends (a crash after it was ready too). */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** The server ended before it answered: init() raised, the script did not load, a package is missing. */
export class InferenceServerExitedError extends Error {
  override readonly name = 'InferenceServerExitedError';
  constructor(
    readonly exitCode: number | null,
    message: string,
  ) {
    super(message);
  }
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function forwardLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  let partial = '';
  stream?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  stream?.on('end', () => {
    if (partial !== '') onLine(partial);
    partial = '';
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Starts the server and resolves once `GET /` answers 200 (after init() ran); rejects when it exits first. */
export async function startInferenceServer(options: InferenceServerOptions): Promise<InferenceServer> {
  const port = await freePort();
  const passed = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => PASSED_ENVIRONMENT.includes(k) || k.startsWith('LC_')),
  );
  const child = spawn(options.python, ['-c', LAUNCHER, '--entry_script', options.entryScript, '--port', String(port)], {
    cwd: options.appRoot,
    // Its own process group: gunicorn forks workers, and stop() ends them all.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...passed,
      // gunicorn 23+ opens a control socket at one path per user ($HOME/.gunicorn/gunicorn.ctl):
      // several servers on one machine would take it from each other, and scoring never uses it.
      GUNICORN_CMD_ARGS: '--no-control-socket',
      ...options.environment,
      AML_APP_ROOT: options.appRoot,
      ...(options.modelDir ? { AZUREML_MODEL_DIR: options.modelDir } : {}),
      PYTHONUNBUFFERED: '1',
    },
  });
  forwardLines(child.stdout, options.onOutput);
  forwardLines(child.stderr, options.onOutput);
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (error) => {
      options.onOutput(`${options.python} could not be started: ${error.message}`);
      resolve(-1);
    });
    child.on('exit', (code) => resolve(code));
  });
  const stop = async (): Promise<void> => {
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    // Workers of a master that was killed outright would be left: end the group in any case.
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // none left
    }
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 300_000);
  let ended: number | null | undefined;
  void exited.then((code) => (ended = code));
  for (;;) {
    if (ended !== undefined)
      throw new InferenceServerExitedError(
        ended,
        `The inference server exited with code ${String(ended)} before it was ready (see its output above).`,
      );
    const healthy = await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) break;
    if (Date.now() > deadline) {
      await stop();
      throw new InferenceServerExitedError(
        null,
        `The inference server did not answer within ${Math.round((options.readyTimeoutMs ?? 300_000) / 1000)} s.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  return { url, pid: child.pid ?? -1, exited, stop };
}

/** Headers not passed to the inference server: the caller's credentials stay at the front that checked them. */
const NOT_FORWARDED = new Set([
  'authorization',
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
]);

/** A scoring call passed on to an inference server, after the front checked its key or token. */
export async function forwardToServer(
  serverUrl: string,
  request: {
    method: string;
    path: string;
    headers: Readonly<Record<string, string | readonly string[] | undefined>>;
    body: Uint8Array | string | undefined;
  },
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers))
    if (v !== undefined && !NOT_FORWARDED.has(k.toLowerCase())) headers[k] = typeof v === 'string' ? v : v.join(', ');
  const response = await fetch(`${serverUrl}${request.path}`, {
    method: request.method,
    headers,
    ...(request.method === 'GET' || request.method === 'HEAD' || request.body === undefined
      ? {}
      : { body: request.body }),
  });
  const body = Buffer.from(await response.arrayBuffer());
  const type = response.headers.get('content-type');
  return { status: response.status, headers: type ? { 'content-type': type } : {}, body };
}
