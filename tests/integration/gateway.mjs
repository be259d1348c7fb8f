// Helpers for the tests of `fcpgw serve`: start the real gateway on port 0 in a temporary
// working directory and wait for its ready line, talk MLLP to it over raw sockets (so that
// tests can send exactly the bytes they want: split frames, garbage, silence), and read its
// journal with Python's sqlite3 module (a reader that is not fcpgw's).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { once } from 'node:events';
import { BIN, PYTHON } from './lib.mjs';

export const SB = 0x0b;
export const EB = 0x1c;
export const CR = 0x0d;

/** `msg` (string or Buffer) framed as SB msg EB CR. */
export function frame(msg) {
  const body = Buffer.isBuffer(msg) ? msg : Buffer.from(msg, 'utf8');
  return Buffer.concat([Buffer.from([SB]), body, Buffer.from([EB, CR])]);
}

/** ER7 with LF/CRLF segment separators turned into CR, trailing blank lines dropped. */
export function er7(text) {
  return text.replace(/\r\n/g, '\r').replace(/\n/g, '\r').replace(/\r+$/, '') + '\r';
}

/** A field of an ER7 message: field(ack, 'MSA', 1). MSH numbering: MSH-1 is the separator. */
export function field(message, seg, n) {
  const line = message.split('\r').find((l) => l.startsWith(seg + '|'));
  if (!line) return undefined;
  const parts = line.split('|');
  return seg === 'MSH' ? (n === 1 ? '|' : parts[n - 1]) : parts[n];
}

/** Replaces MSH-`n` of `message` with `value`. */
export function setMsh(message, n, value) {
  const segs = message.split('\r');
  const parts = segs[0].split('|');
  while (parts.length < n) parts.push('');
  parts[n - 1] = value;
  segs[0] = parts.join('|');
  return segs.join('\r');
}

// Gateways still running when the test process exits are killed with it.
const running = new Set();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

/**
 * Starts `fcpgw serve` in `cwd` with `--set` overrides (ports default to 0). Resolves once it
 * prints its ready line: {proc, mllp: {host, port, tls}, http: {...}, journal, stderr(), stop(),
 * kill()}.
 */
export async function startGateway({ cwd, sets = [], env = {}, config, timeoutMs = 30_000 } = {}) {
  const args = ['serve'];
  if (config) args.push('--config', config);
  const all = ['listeners.mllp.port=0', 'listeners.http.port=0', ...sets];
  for (const s of all) args.push('--set', s);
  const proc = spawn(BIN, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => {
    err += d.toString();
  });
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fcpgw serve did not become ready:\n${err}`)), timeoutMs);
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`fcpgw serve exited early (code ${code}, signal ${signal}):\n${out}\n${err}`));
    });
    proc.stdout.on('data', (d) => {
      out += d.toString();
      const m = out.match(/ready: (.*)\n/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  proc.removeAllListeners('exit');
  proc.on('exit', () => running.delete(proc));
  const endpoint = (name) => {
    const m = ready.match(new RegExp(`${name}(\\+tls)? (\\S+):(\\d+)`));
    return m ? { host: m[2], port: Number(m[3]), tls: Boolean(m[1]) } : null;
  };
  const journal = (ready.match(/journal (\S+)/) || [])[1];
  const exited = once(proc, 'exit');
  return {
    proc,
    ready,
    mllp: endpoint('mllp'),
    http: endpoint('http'),
    journal,
    stdout: () => out,
    stderr: () => err,
    /** SIGTERM, then the exit code (or signal name). */
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode ?? proc.signalCode;
      proc.kill('SIGTERM');
      const [code, signal] = await exited;
      return code ?? signal;
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * An MLLP connection that collects the ACK frames it receives. `send(bytes)` writes raw bytes;
 * `next(timeoutMs)` resolves with the next complete ACK (string), or rejects on timeout/close.
 */
export async function mllpConnect({ host, port }, { tlsOptions } = {}) {
  const sock = tlsOptions
    ? tls.connect({ host, port, ...tlsOptions })
    : net.connect({ host, port });
  await once(sock, tlsOptions ? 'secureConnect' : 'connect');
  let buf = Buffer.alloc(0);
  const acks = [];
  const waiters = [];
  let closed = false;
  const flush = () => {
    while (acks.length && waiters.length) waiters.shift().resolve(acks.shift());
    if (closed) while (waiters.length) waiters.shift().reject(new Error('connection closed'));
  };
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const s = buf.indexOf(SB);
      const e = buf.indexOf(EB, s + 1);
      if (s < 0 || e < 0) break;
      acks.push(buf.subarray(s + 1, e).toString('utf8'));
      buf = buf.subarray(e + 1);
      if (buf[0] === CR) buf = buf.subarray(1);
    }
    flush();
  });
  const onClose = () => {
    closed = true;
    flush();
  };
  sock.on('close', onClose);
  sock.on('error', onClose);
  return {
    sock,
    get closed() {
      return closed;
    },
    send(bytes) {
      sock.write(bytes);
    },
    next(timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no ACK in time')), timeoutMs);
        waiters.push({
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        flush();
      });
    },
    /** Sends one message framed and waits for its ACK. */
    async request(message, timeoutMs) {
      this.send(frame(message));
      return this.next(timeoutMs);
    },
    async closedWithin(ms) {
      if (closed) return true;
      return Promise.race([once(sock, 'close').then(() => true), new Promise((r) => setTimeout(() => r(false), ms))]);
    },
    end() {
      sock.destroy();
    },
  };
}

/** Runs SQL on the journal with Python's sqlite3 (read-only). Returns the rows as arrays. */
export function sql(dbPath, query, params = []) {
  const script = [
    'import json, sqlite3, sys',
    'db, q, p = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])',
    'con = sqlite3.connect("file:" + db + "?mode=ro", uri=True)',
    'rows = con.execute(q, p).fetchall()',
    'print(json.dumps([[v if not isinstance(v, bytes) else v.decode("utf-8", "replace") for v in r] for r in rows]))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', script, dbPath, query, JSON.stringify(params)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** PRAGMA integrity_check of the journal: 'ok' when sound. */
export function integrity(dbPath) {
  return sql(dbPath, 'PRAGMA integrity_check')[0][0];
}

/** The messages of the corpus and samples that a test sends, each with a fresh MSH-10. */
export function listFiles(dir, ext) {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => path.join(dir, f));
}
