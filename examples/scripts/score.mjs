// Calls an online endpoint's scoring URI with a JSON payload and prints the HTTP response exactly as
// it comes back: status line, headers and body, byte for byte. Plain Node.js (18 or newer), no
// dependencies: copy it as is.
//
//   SCORING_URI=https://... SCORING_KEY=... node examples/scripts/score.mjs payload.json
//
// SCORING_KEY is the endpoint key (action-deploy's `key` output with `expose-key: true`, masked in
// the log): it is sent as `Authorization: Bearer <key>` and never printed. Exits 1 on an HTTP error.

import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const [payloadFile] = process.argv.slice(2);
const uri = process.env.SCORING_URI;
const key = process.env.SCORING_KEY;
if (!payloadFile || !uri || !key) {
  console.error('usage: SCORING_URI=<scoring uri> SCORING_KEY=<key> node score.mjs <payload.json>');
  process.exit(2);
}
const body = readFileSync(payloadFile);
const url = new URL(uri);
const request = url.protocol === 'http:' ? httpRequest : httpsRequest;

console.log(`POST ${url.origin}${url.pathname} (${body.length} bytes from ${payloadFile})`);
const req = request(
  url,
  {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      'content-length': body.length,
    },
  },
  (res) => {
    const chunks = [];
    res.on('data', (chunk) => chunks.push(chunk));
    res.on('end', () => {
      const lines = [`HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage}`];
      for (let i = 0; i < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
      process.stdout.write(`${lines.join('\n')}\n\n`);
      process.stdout.write(Buffer.concat(chunks));
      process.stdout.write('\n');
      process.exitCode = res.statusCode >= 400 ? 1 : 0;
    });
  },
);
req.on('error', (error) => {
  console.error(`request failed: ${error.message}`);
  process.exitCode = 1;
});
req.end(body);
