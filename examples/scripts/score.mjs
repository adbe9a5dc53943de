// Calls an online endpoint's scoring URI with a JSON payload and prints the HTTP response: status
// line, headers and body. The response comes from the endpoint's code, so each of its lines is made
// inert for the Actions runner first (which splits lines on \r too, reads `::command::` after
// leading spaces and `##[command]` anywhere): a line that would be a workflow command gets `| ` in
// front and `##[` becomes `## [`. Set SCORE_RESPONSE_FILE to also keep the body byte for byte.
// Plain Node.js (18 or newer), no dependencies: copy it as is.
//
//   SCORING_URI=https://... SCORING_KEY=... node examples/scripts/score.mjs payload.json
//
// SCORING_KEY is the endpoint key (action-deploy's `key` output with `expose-key: true`, masked in
// the log): it is sent as `Authorization: Bearer <key>` and never printed. Exits 1 on an HTTP error.
// A key never goes over plain http except to this machine (localhost, 127.0.0.1, ::1).

import { readFileSync, writeFileSync } from 'node:fs';
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
if (url.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
  console.error(`refusing to send the key in clear to ${url.origin}: use https (http only for this machine)`);
  process.exit(2);
}

/** One line of the response, made so the runner cannot read it as a workflow command. */
const inert = (line) => {
  const text = line.replace(/##\[/g, '## [');
  return /^[\s\p{Z}\p{Cf}\u0085]*::/u.test(text) ? `| ${text}` : text;
};

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
      const response = Buffer.concat(chunks);
      if (process.env.SCORE_RESPONSE_FILE) writeFileSync(process.env.SCORE_RESPONSE_FILE, response);
      const lines = [`HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage}`];
      for (let i = 0; i < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
      lines.push('', ...response.toString('utf8').split(/\r\n|\r|\n/));
      process.stdout.write(`${lines.map(inert).join('\n')}\n`);
      process.exitCode = res.statusCode >= 400 ? 1 : 0;
    });
  },
);
req.on('error', (error) => {
  console.error(`request failed: ${error.message}`);
  process.exitCode = 1;
});
req.end(body);
