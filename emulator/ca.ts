// The emulator's TLS material: a self-signed CA generated once and cached under `.cache/emulator-ca/`
// (gitignored), and a server certificate for 127.0.0.1/localhost signed by it. A test runner trusts
// the CA from start-up with NODE_EXTRA_CA_CERTS=<caFile> (Node reads that variable only when a process
// starts), so the CA must exist before the runner starts: call `ensureCa()` (or `npx tsx emulator/cli.ts
// --ensure-ca`) first.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type forgeModule from 'node-forge';

export interface CaFiles {
  /** Folder holding the files below. */
  dir: string;
  /** PEM of the CA certificate: what NODE_EXTRA_CA_CERTS / REQUESTS_CA_BUNDLE point at. */
  caFile: string;
  /** Server certificate (PEM) for 127.0.0.1, ::1 and localhost, signed by the CA. */
  certFile: string;
  /** Server private key (PEM). */
  keyFile: string;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the CA lives: `AZUREML_EMULATOR_CA_DIR` or `<repo>/.cache/emulator-ca`. */
export function caDir(): string {
  return process.env.AZUREML_EMULATOR_CA_DIR ?? join(repoRoot, '.cache', 'emulator-ca');
}

function files(dir: string): CaFiles {
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server-key.pem'),
  };
}

function rsaKeys(forge: typeof forgeModule): {
  privateKey: forgeModule.pki.rsa.PrivateKey;
  publicKey: forgeModule.pki.rsa.PublicKey;
} {
  // Node's native key generation (forge's pure-JS RSA generation takes seconds).
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const priv = forge.pki.privateKeyFromPem(pem) as forgeModule.pki.rsa.PrivateKey;
  return { privateKey: priv, publicKey: forge.pki.setRsaPublicKey(priv.n, priv.e) };
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive
  return bytes.toString('hex');
}

function generate(dir: string): void {
  // Loaded only here: node-forge takes a while to load and is needed once per machine.
  const forge = createRequire(import.meta.url)('node-forge') as typeof forgeModule;
  const now = Date.now();
  const ca = rsaKeys(forge);
  const caCert = forge.pki.createCertificate();
  caCert.publicKey = ca.publicKey;
  caCert.serialNumber = serial();
  caCert.validity.notBefore = new Date(now - 24 * 3600_000);
  caCert.validity.notAfter = new Date(now + 10 * 365 * 24 * 3600_000);
  const caName = [
    { name: 'commonName', value: 'azureml-actions emulator local CA' },
    { name: 'organizationName', value: 'azureml-actions test equipment' },
  ];
  caCert.setSubject(caName);
  caCert.setIssuer(caName);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.sign(ca.privateKey, forge.md.sha256.create());

  const srv = rsaKeys(forge);
  const cert = forge.pki.createCertificate();
  cert.publicKey = srv.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now - 24 * 3600_000);
  cert.validity.notAfter = new Date(now + 5 * 365 * 24 * 3600_000);
  cert.setSubject([{ name: 'commonName', value: '127.0.0.1' }]);
  cert.setIssuer(caName);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
      ],
    },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(ca.privateKey, forge.md.sha256.create());

  const f = files(dir);
  writeFileSync(f.caFile, forge.pki.certificateToPem(caCert));
  writeFileSync(join(dir, 'ca-key.pem'), forge.pki.privateKeyToPem(ca.privateKey), { mode: 0o600 });
  writeFileSync(f.certFile, forge.pki.certificateToPem(cert));
  writeFileSync(f.keyFile, forge.pki.privateKeyToPem(srv.privateKey), { mode: 0o600 });
}

/**
 * Makes sure the CA and server certificate exist (generating them on first use) and returns their
 * paths. Safe when several processes call it at once: each generates into a private folder and
 * renames it into place; the first rename wins and the others use the winner's files.
 */
export function ensureCa(dir = caDir()): CaFiles {
  const f = files(dir);
  if (existsSync(f.caFile) && existsSync(f.certFile) && existsSync(f.keyFile)) return f;
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  mkdirSync(tmp, { recursive: true });
  try {
    generate(tmp);
    renameSync(tmp, dir); // fails when another process got there first: then its files are used
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    if (!(existsSync(f.caFile) && existsSync(f.certFile) && existsSync(f.keyFile))) throw error;
  }
  return f;
}

/**
 * A server certificate for `host` signed by the CA (made on first use, then cached next to it), for
 * the Entra proxy (entraProxy.ts), which answers for login.microsoftonline.com.
 */
export function hostCertificate(host: string, ca: CaFiles = ensureCa()): { cert: string; key: string } {
  // Certificate and key in one file, so a concurrent first use never pairs one's key with another's certificate.
  const file = join(ca.dir, `host-${host}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as { cert: string; key: string };
  const forge = createRequire(import.meta.url)('node-forge') as typeof forgeModule;
  const caCert = forge.pki.certificateFromPem(readFileSync(ca.caFile, 'utf8'));
  const caKey = forge.pki.privateKeyFromPem(readFileSync(join(ca.dir, 'ca-key.pem'), 'utf8'));
  const keys = rsaKeys(forge);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 24 * 3600_000);
  cert.validity.notAfter = caCert.validity.notAfter;
  cert.setSubject([{ name: 'commonName', value: host }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: host }] },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey as forgeModule.pki.rsa.PrivateKey, forge.md.sha256.create());
  const pem = { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) };
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, JSON.stringify(pem), { mode: 0o600 });
  renameSync(tmp, file);
  return pem;
}

let trusted = false;

/**
 * For a test process that was started without NODE_EXTRA_CA_CERTS: adds the emulator CA to every TLS
 * context this process creates from now on (the technique of the `syswide-cas` package). Child
 * processes still need NODE_EXTRA_CA_CERTS (the emulator's envFile sets it).
 */
export function trustEmulatorCa(caFile = ensureCa().caFile): void {
  if (trusted) return;
  const pem = readFileSync(caFile, 'utf8');
  const original = tls.createSecureContext;
  tls.createSecureContext = (options?: tls.SecureContextOptions): tls.SecureContext => {
    const context = original(options);
    if (!options?.ca) (context.context as { addCACert(pem: string): void }).addCACert(pem);
    return context;
  };
  trusted = true;
}
