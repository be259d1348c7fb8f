// Shared helpers of the integration tests: run the real fcpgw binary, start the FHIR server
// peer on port 0, temporary directories, and HL7 v2 parsing by python3-hl7 (a third-party
// parser, so that fcpgw's own ER7 output is judged by someone else's reader).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set (run through ctest)`);
  return v;
}

export const BIN = need('FCPGW_BIN');
export const SOURCE_DIR = need('FCPGW_SOURCE_DIR');
export const CORPUS_DIR = need('FCPGW_CORPUS_DIR');
export const PEERS_DIR = need('FCPGW_PEERS_DIR');
export const PYTHON = process.env.FCPGW_PYTHON || 'python3';

/** Runs fcpgw synchronously. Returns {status, signal, stdout (string), stderr}. */
export function fcpgw(args, { input, timeoutMs = 60_000, env } = {}) {
  const r = spawnSync(BIN, args, {
    input,
    timeout: timeoutMs,
    maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, ...env },
  });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

/** A fresh temporary directory, removed by the returned cleanup function. */
export function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fcpgw-it-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Lines of NDJSON output parsed as JSON. */
export function ndjson(text) {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

/**
 * Parses ER7 with python3-hl7. Returns {segments: [ids], msh9: [code, trigger, structure],
 * msh10, version}.
 */
export function parseWithPythonHl7(er7) {
  const script = [
    'import hl7, json, sys',
    'text = sys.stdin.buffer.read().decode("utf-8")',
    'text = text.replace("\\r\\n", "\\r").replace("\\n", "\\r").strip("\\r")',
    'm = hl7.parse(text)',
    'msh = m.segment("MSH")',
    'def comp(f, i):',
    '    try:',
    '        return str(f[0][i]) if len(f[0]) > i else ""',
    '    except Exception:',
    '        return str(f) if i == 0 else ""',
    't = msh[9]',
    'pid = [s for s in m if str(s[0]) == "PID"]',
    'pid3 = str(pid[0][3]) if pid and len(pid[0]) > 3 else ""',
    'print(json.dumps({"segments": [str(s[0]) for s in m], "msh9": [comp(t, 0), comp(t, 1), comp(t, 2)], "msh10": str(msh[10]), "version": str(msh[12]), "pid3": pid3}))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', script], { input: er7, timeout: 30_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`python3-hl7 could not parse the message: ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString());
}

/** Peak RSS (KiB) of a child process, measured by getrusage(RUSAGE_CHILDREN). */
export function runMeasured(args, { stdoutFile, timeoutMs = 120_000 } = {}) {
  const script = [
    'import resource, subprocess, sys, json',
    'out = open(sys.argv[1], "wb") if sys.argv[1] != "-" else subprocess.DEVNULL',
    'p = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.PIPE)',
    'print(json.dumps({"status": p.returncode, "maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "stderr": p.stderr.decode("utf-8", "replace")[-4000:]}))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', script, stdoutFile || '-', BIN, ...args], { timeout: timeoutMs });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`measuring wrapper failed: ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString());
}

/**
 * Starts tests/peers/fhir-server.mjs on 127.0.0.1 (port 0 unless `port` is given; `args` are
 * more of its options: TLS, token; the helpers below speak plain HTTP only). Returns
 * {base, stop(), fail(spec), failuresLeft(), log()}. The server
 * also exits when this process dies (its stdin is a pipe from us).
 */
export async function startFhirServer({ timeoutMs = 30_000, port: wanted = 0, args = [] } = {}) {
  const child = spawn(process.execPath, [path.join(PEERS_DIR, 'fhir-server.mjs'), '--exit-on-stdin-close', '--port', String(wanted), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  };
  process.on('exit', () => child.kill('SIGKILL'));
  let buffered = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('FHIR server did not start in time')), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`FHIR server exited early (code ${code})`));
    });
    child.stdout.on('data', (d) => {
      buffered += d.toString();
      const nl = buffered.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(buffered.slice(0, nl)).port);
        } catch (err) {
          reject(err);
        }
      }
    });
  });
  const base = `${args.includes('--tls-cert') ? 'https' : 'http'}://127.0.0.1:${port}`;
  const control = async (method, what, body) => (await http(method, `${base}/__test/${what}`, body)).body;
  return {
    base,
    stop,
    /** The next `count` requests fail: {status, count, retryAfter} or {reset: true, count}. */
    fail: (spec) => control('POST', 'fail', spec),
    failuresLeft: async () => (await control('GET', 'fail')).count,
    /** Every write waits `ms` first. */
    delay: (ms) => control('POST', 'delay', { ms }),
    /** Every write the server took, in order: [{method, url, entries, requestId}]. */
    log: () => control('GET', 'log'),
  };
}

/**
 * fetch with a timeout, returning {status, body (parsed JSON or null)}. A GET that meets a kept
 * connection the server has just closed (ECONNRESET: the keep-alive race of every HTTP/1.1
 * client) is sent once more.
 */
export async function http(method, url, body, headers = {}) {
  const once = () => fetch(url, {
    method,
    headers: { accept: 'application/fhir+json', ...(body ? { 'content-type': 'application/fhir+json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  let res;
  try {
    res = await once();
  } catch (err) {
    if (method !== 'GET' || err?.cause?.code !== 'ECONNRESET') throw err;
    res = await once();
  }
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, body: json, headers: res.headers };
}

/** The appointment messages of the public corpus, the golden inputs and the bundled samples. */
export function appointmentMessages() {
  const v2 = path.join(CORPUS_DIR, 'v2');
  const files = fs
    .readdirSync(v2)
    .filter((f) => f.startsWith('ms_SIU-') || f === 'v2tofhir_SIU-S12.hl7' || f === 'corepoint_SIU-S14.hl7')
    .map((f) => path.join(v2, f));
  for (const dir of [path.join(SOURCE_DIR, 'mappings', 'golden', 'appointments'), path.join(SOURCE_DIR, 'config', 'samples')]) {
    if (!fs.existsSync(dir)) continue;
    const names = fs.readdirSync(dir);
    for (const f of names) {
      if (!f.endsWith('.hl7') || f.endsWith('.expected.hl7')) continue; // *.expected.hl7: FHIR -> v2 outputs
      if (!/\|SIU\^/.test(fs.readFileSync(path.join(dir, f), 'latin1').slice(0, 1024))) continue;
      // A golden case whose expected output is not a Bundle (an error case) is not a valid input.
      const stem = f.slice(0, -'.hl7'.length);
      const expected = names.filter((n) => n !== f && n.startsWith(`${stem}.`) && n.endsWith('.json'));
      const negative = expected.some((n) => {
        try {
          return JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')).resourceType !== 'Bundle';
        } catch {
          return true;
        }
      });
      if (!negative) files.push(path.join(dir, f));
    }
  }
  return files.sort();
}

// Corpus documents that fcpgw refuses by design, with what the refusal must say: a draft
// (TXA-17 IP) must not reach a patient record (FITNOTE.md's status table), and the IG's example
// carries the placeholder "<Base64 encoded>" instead of base64.
export const REFUSED_DOCUMENTS = {
  'ms_MDM-T02-03.hl7': /TXA-17: .*draft.*\[207\]/,
  'v2tofhir_MDM-T02.hl7': /OBX\[4\]-5\[1\]\.5: not valid base64.*\[102\]/,
};

// MDM^T02 inputs (fit notes and clinical documents): the corpus T02 messages (but those in
// REFUSED_DOCUMENTS) and the golden v2 inputs of mappings/golden/{fitnotes,documents} whose
// expected output is a Bundle.
export function documentMessages() {
  const v2 = path.join(CORPUS_DIR, 'v2');
  const files = fs
    .readdirSync(v2)
    .filter((f) => (f.startsWith('ms_MDM-T02-') || f === 'v2tofhir_MDM-T02.hl7') && !(f in REFUSED_DOCUMENTS))
    .map((f) => path.join(v2, f));
  for (const family of ['fitnotes', 'documents']) {
    const dir = path.join(SOURCE_DIR, 'mappings', 'golden', family);
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir)) {
      if (!f.endsWith('.hl7') || f.split('.').length !== 2) continue;
      if (fs.existsSync(path.join(dir, `${f.slice(0, -4)}.expected.json`))) files.push(path.join(dir, f));
    }
  }
  return files.sort();
}

/**
 * Starts tests/peers/mllp-server.py (python3-hl7's MLLP server) on 127.0.0.1 port 0, logging
 * each message it receives. `first`/`firstAnswer`: the first N messages get that answer (AE, AR,
 * or none). Returns {host, port, received() (the log's records), stop()}.
 */
export async function startMllpServer({ first = 0, firstAnswer = 'AE', answer = 'AA', timeoutMs = 15_000 } = {}) {
  const dir = tempDir();
  const log = path.join(dir.dir, 'received.ndjson');
  const child = spawn(PYTHON, [path.join(PEERS_DIR, 'mllp-server.py'), '--log', log, '--answer', answer,
    '--first', String(first), '--first-answer', firstAnswer, '--exit-on-stdin-close'], { stdio: ['pipe', 'pipe', 'inherit'] });
  process.on('exit', () => child.kill('SIGKILL'));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('MLLP server did not start in time')), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`MLLP server exited early (code ${code})`));
    });
    child.stdout.once('data', (d) => {
      clearTimeout(timer);
      resolve(JSON.parse(d.toString().split('\n')[0]).port);
    });
  });
  child.removeAllListeners('exit');
  return {
    host: '127.0.0.1',
    port,
    received: () => (fs.existsSync(log) ? ndjson(fs.readFileSync(log, 'utf8')) : []),
    async stop() {
      child.stdin.end();
      child.kill('SIGTERM');
      dir.cleanup();
    },
  };
}
