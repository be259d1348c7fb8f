// `fcpgw serve` as a process on loopback (port 0), fed by real third-party clients (python3-hl7's
// mllp_send, curl, fhir-kit-client) and by raw sockets for the bytes no client would send.
// Every answer is checked, and so is what the journal kept (read with Python's sqlite3).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { BIN, CORPUS_DIR, PEERS_DIR, SOURCE_DIR, fcpgw, tempDir } from './lib.mjs';
import { er7, field, frame, integrity, mllpConnect, setMsh, sql, startGateway } from './gateway.mjs';

const SAMPLES = path.join(SOURCE_DIR, 'config', 'samples');
const BOOKING = er7(fs.readFileSync(path.join(SAMPLES, 'siu-s12-fcp-booking.hl7'), 'utf8'));
const BAD_NHS = er7(fs.readFileSync(path.join(SOURCE_DIR, 'mappings/golden/appointments/bad_nhs_number.hl7'), 'utf8'));
const APPOINTMENT = fs.readFileSync(path.join(SOURCE_DIR, 'mappings/golden/appointments/fhir_cancelled.json'), 'utf8');

let seq = 0;
/** `msg` in original acknowledgement mode (MSH-15/16 empty) with a fresh MSH-10. */
function fresh(msg, { original = true } = {}) {
  let m = setMsh(msg, 10, `IT-${process.pid}-${++seq}`);
  if (original) m = setMsh(setMsh(m, 15, ''), 16, '');
  return m;
}

function rows(gw, where = '1=1', params = []) {
  return sql(gw.journal, `SELECT id, state, answer_code, control_id, message_type FROM messages WHERE ${where} ORDER BY id`, params);
}

describe('fcpgw serve (default listeners)', () => {
  let tmp;
  let gw;
  before(async () => {
    tmp = tempDir();
    gw = await startGateway({ cwd: tmp.dir });
  });
  after(async () => {
    if (gw) await gw.kill();
    tmp.cleanup();
  });

  test('the ready line names both listeners and the journal under ./var/', () => {
    assert.ok(gw.mllp && gw.mllp.port > 0, gw.ready);
    assert.ok(gw.http && gw.http.port > 0, gw.ready);
    assert.ok(gw.journal.startsWith(path.join(fs.realpathSync(tmp.dir), 'var')) || gw.journal.startsWith(path.join(tmp.dir, 'var')), gw.journal);
    assert.equal(fs.statSync(gw.journal).mode & 0o777, 0o600);
  });

  test('python3-hl7 mllp_send: the samples are acknowledged and journaled once; a resend gets the same answer', () => {
    const file = path.join(tmp.dir, 'samples.hl7');
    const a = fresh(BOOKING);
    const b = fresh(er7(fs.readFileSync(path.join(SAMPLES, 'siu-s15-fcp-cancellation.hl7'), 'utf8')));
    fs.writeFileSync(file, a.replace(/\r/g, '\n') + '\n' + b.replace(/\r/g, '\n') + '\n');
    const send = () => spawnSync('mllp_send', ['--loose', '-p', String(gw.mllp.port), '-f', file, '127.0.0.1'], { encoding: 'utf8', timeout: 30_000 });
    const first = send();
    assert.equal(first.status, 0, first.stderr);
    const acks = first.stdout.split(/\x1c|\n(?=MSH)/).filter((s) => s.includes('MSA'));
    assert.equal(acks.length, 2, first.stdout);
    for (const ack of acks) assert.match(ack.replace(/\n/g, '\r'), /MSA\|AA\|IT-/);
    const second = send();
    assert.equal(second.status, 0, second.stderr);
    for (const id of [field(a, 'MSH', 10), field(b, 'MSH', 10)]) {
      const r = rows(gw, 'control_id = ?', [id]);
      assert.equal(r.length, 1, `journaled once: ${id}`);
      assert.ok(['accepted', 'delivered'].includes(r[0][1]), r[0][1]);
    }
    // The second answers are the first ones, byte for byte (same MSH-10 of the ACK).
    assert.equal(second.stdout, first.stdout);
  });

  test('fcpgw send: one line per message with MSH-10 and the code; exit 0', () => {
    const file = path.join(tmp.dir, 'send.hl7');
    const m = fresh(BOOKING, { original: false }); // MSH-15 AL, MSH-16 NE: a commit ACK
    fs.writeFileSync(file, m.replace(/\r/g, '\n'));
    const r = fcpgw(['send', '--to', `127.0.0.1:${gw.mllp.port}`, file]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`${field(m, 'MSH', 10)}: CA`));
  });

  test('a message that fails the mapping checks gets AE with ERR and is kept as rejected', async () => {
    const c = await mllpConnect(gw.mllp);
    const m = fresh(BAD_NHS);
    const ack = await c.request(m);
    c.end();
    assert.equal(field(ack, 'MSA', 1), 'AE');
    assert.equal(field(ack, 'MSA', 2), field(m, 'MSH', 10));
    assert.match(field(ack, 'ERR', 2), /^PID\^1\^3/);
    assert.match(field(ack, 'ERR', 3), /^102\^/);
    const r = rows(gw, 'control_id = ?', [field(m, 'MSH', 10)]);
    assert.deepEqual(r.map((x) => x[1]), ['rejected']);
  });

  test('bad input of every kind gets its documented answer and the connection keeps serving', async () => {
    const c = await mllpConnect(gw.mllp);
    // Not HL7 at all: AR, kept as rejected with its bytes.
    let ack = await c.request('hello, world');
    assert.equal(field(ack, 'MSA', 1), 'AR');
    assert.match(field(ack, 'ERR', 3), /^100\^/);
    // An unsupported message type: AR with 200 or 201.
    ack = await c.request(fresh('MSH|^~\\&|PAS|RX1|FCPGW|A81001|20261204120000+0000||ADT^A01^ADT_A01|X|P|2.5.1\rEVN|A01\rPID|1||9434765919^^^NHS^NH\r'));
    assert.equal(field(ack, 'MSA', 1), 'AR');
    assert.match(field(ack, 'ERR', 3), /^20[01]\^/);
    // Bytes between frames are skipped; a frame cut short by a new start byte is dropped.
    const good = fresh(BOOKING);
    c.send(Buffer.concat([Buffer.from('noise\r\n'), Buffer.from([0x0b]), Buffer.from('MSH|^~\\&|cut'), frame(good)]));
    ack = await c.next();
    assert.equal(field(ack, 'MSA', 2), field(good, 'MSH', 10));
    assert.equal(field(ack, 'MSA', 1), 'AA');
    // A frame split byte by byte.
    const split = fresh(BOOKING);
    for (const byte of frame(split)) c.send(Buffer.from([byte]));
    ack = await c.next();
    assert.equal(field(ack, 'MSA', 2), field(split, 'MSH', 10));
    // Invalid UTF-8 in a message declared UTF-8: answered, not dropped.
    const latin = fresh(BOOKING).replace('Whitfield', 'Whitfi\u00e9ld');
    c.send(frame(Buffer.from(latin, 'latin1')));
    ack = await c.next();
    assert.match(field(ack, 'MSA', 1), /^A[AE]$/);
    c.end();
    const rejected = sql(gw.journal, "SELECT count(*) FROM messages WHERE state = 'rejected' AND raw = CAST(? AS BLOB)", ['hello, world']);
    assert.equal(rejected[0][0], 1);
  });

  test('an oversize frame gets AR and the next frame is served', async () => {
    const small = await startGateway({ cwd: tmp.dir, sets: ['listeners.mllp.max_frame_bytes=2000', 'journal.path=var/small.db', 'listeners.http.enabled=false'] });
    try {
      const c = await mllpConnect(small.mllp);
      const big = fresh(BOOKING) + 'NTE|1||' + 'x'.repeat(3000) + '\r';
      let ack = await c.request(big);
      assert.equal(field(ack, 'MSA', 1), 'AR');
      const ok = fresh('MSH|^~\\&|A|B|C|D|20261204120000+0000||ADT^A01|Y|P|2.5.1\rEVN|A01\r');
      ack = await c.request(ok);
      assert.equal(field(ack, 'MSA', 2), field(ok, 'MSH', 10));
      c.end();
    } finally {
      await small.kill();
    }
  });

  test('a client that says nothing, a slow sender and 1,000 idle connections do not stop service', async () => {
    const quick = await startGateway({
      cwd: tmp.dir,
      sets: ['listeners.mllp.idle_timeout_ms=300', 'listeners.mllp.read_timeout_ms=300', 'listeners.mllp.max_connections=1200', 'journal.path=var/quick.db', 'listeners.http.enabled=false'],
    });
    try {
      const silent = await mllpConnect(quick.mllp);
      const slow = await mllpConnect(quick.mllp);
      slow.send(Buffer.from([0x0b]));
      slow.send(Buffer.from('MSH|^~\\&|'));
      assert.ok(await silent.closedWithin(3000), 'silent client closed');
      assert.ok(await slow.closedWithin(3000), 'slow sender closed');
      const idle = [];
      for (let i = 0; i < 1000; i++) idle.push(net.connect(quick.mllp.port, '127.0.0.1'));
      await Promise.all(idle.map((s) => new Promise((r) => s.once('connect', r).once('error', r))));
      const c = await mllpConnect(quick.mllp);
      const ack = await c.request(fresh(BOOKING));
      assert.equal(field(ack, 'MSA', 1), 'AA');
      c.end();
      for (const s of idle) s.destroy();
    } finally {
      await quick.kill();
    }
  });

  test('HTTP: FHIR writes are answered 202 with Content-Location after the commit; bad requests get 4xx', async () => {
    const base = `http://127.0.0.1:${gw.http.port}`;
    let res = await fetch(`${base}/fhir/Appointment`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: APPOINTMENT });
    assert.equal(res.status, 202, await res.text());
    const location = res.headers.get('content-location');
    assert.match(location, /^\/journal\/\d+$/);
    // FHIR's asynchronous pattern: 202 while the delivery is pending, 200 once it is done (the
    // default route writes it to var/outbox at once).
    let state;
    for (let i = 0; i < 100; i++) {
      res = await fetch(base + location);
      state = (await res.json()).state;
      assert.equal(res.status, state === 'accepted' ? 202 : 200);
      if (state !== 'accepted') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(state, 'delivered');

    const invalid = JSON.parse(APPOINTMENT);
    invalid.status = 'confirmed';
    res = await fetch(`${base}/fhir/Appointment`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(invalid) });
    assert.equal(res.status, 422);
    const oo = await res.json();
    assert.equal(oo.resourceType, 'OperationOutcome');
    assert.ok(oo.issue.some((i) => (i.expression || []).join().includes('Appointment.status')), JSON.stringify(oo));

    res = await fetch(`${base}/fhir/Appointment`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: APPOINTMENT });
    assert.equal(res.status, 415);
    res = await fetch(`${base}/fhir/Appointment`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: '['.repeat(200) + ']'.repeat(200) });
    assert.equal(res.status, 400);
    res = await fetch(`${base}/fhir/Appointment`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: '{"resourceType":-0}' });
    assert.equal(res.status, 400);
    assert.ok(!(await res.text()).includes('\ufffd'));
    res = await fetch(`${base}/fhir/metadata`);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).resourceType, 'CapabilityStatement');
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /fcpgw_messages_total\{/);
    assert.equal((await fetch(`${base}/nowhere`)).status, 404);
  });

  test('HTTP: an ER7 body posted to /hl7v2 gets the ACK as its answer', async () => {
    const m = fresh(BOOKING);
    const res = await fetch(`http://127.0.0.1:${gw.http.port}/hl7v2`, { method: 'POST', headers: { 'content-type': 'x-application/hl7-v2+er7' }, body: m });
    assert.equal(res.status, 202);
    const ack = await res.text();
    assert.equal(field(ack, 'MSA', 1), 'AA');
    assert.equal(field(ack, 'MSA', 2), field(m, 'MSH', 10));
  });

  /** Segments of an ER7 batch answer, and the ACK messages inside it (each from MSH to the next). */
  function batchParts(text) {
    const segs = text.split('\r').filter((l) => l);
    const acks = [];
    for (const s of segs) {
      if (s.startsWith('MSH|')) acks.push(s + '\r');
      else if (acks.length && !/^(BHS|BTS|FHS|FTS)\|/.test(s)) acks[acks.length - 1] += s + '\r';
    }
    return { segs, acks };
  }
  function batchOf(messages, id, { file = false } = {}) {
    const body = `BHS|^~\\&|PAS|RX1|FCPGW|A81001|20261204120000+0000||||${id}\r${messages.join('')}BTS|${messages.length}\r`;
    return file ? `FHS|^~\\&|PAS|RX1|FCPGW|A81001|20261204120000+0000||||F${id}\r${body}FTS|1\r` : body;
  }

  test('MLLP: a batch in one frame is answered by one batch; the bad message alone is refused', async () => {
    const good = fresh(BOOKING);
    const bad = fresh(BAD_NHS);
    const cancel = fresh(er7(fs.readFileSync(path.join(SAMPLES, 'siu-s15-fcp-cancellation.hl7'), 'utf8')));
    const id = `BATCH-${process.pid}-1`;
    const c = await mllpConnect(gw.mllp);
    const answer = await c.request(batchOf(['hello, world\r', good, bad, cancel], id, { file: true }));
    const { segs, acks } = batchParts(answer);
    assert.match(segs[0], /^FHS\|\^~\\&\|FCPGW\|A81001\|PAS\|RX1\|/);
    assert.equal(segs[0].split('|')[11], `F${id}`, 'FHS-12 names the file answered');
    assert.match(segs[1], /^BHS\|/);
    assert.equal(segs[1].split('|')[11], id, 'BHS-12 names the batch answered');
    assert.equal(segs.at(-2), 'BTS|4');
    assert.equal(segs.at(-1), 'FTS|1');
    assert.equal(acks.length, 4);
    assert.deepEqual(acks.map((a) => field(a, 'MSA', 1)), ['AR', 'AA', 'AE', 'AA']);
    assert.equal(field(acks[1], 'MSA', 2), field(good, 'MSH', 10));
    assert.equal(field(acks[2], 'MSA', 2), field(bad, 'MSH', 10));
    assert.match(field(acks[0], 'ERR', 3), /^100\^/);
    assert.match(field(acks[2], 'ERR', 2), /^PID\^1\^3/);
    // Every message kept once, with its own bytes; the refused ones as rejected.
    const state = (m) => rows(gw, 'control_id = ?', [field(m, 'MSH', 10)]).map((r) => (r[1] === 'delivered' ? 'accepted' : r[1]));
    assert.deepEqual([good, bad, cancel].map(state), [['accepted'], ['rejected'], ['accepted']]);
    assert.equal(sql(gw.journal, "SELECT count(*) FROM messages WHERE raw = CAST(? AS BLOB) AND state = 'rejected'", ['hello, world\r'])[0][0], 1);
    assert.equal(sql(gw.journal, 'SELECT count(*) FROM messages WHERE raw = CAST(? AS BLOB)', [bad])[0][0], 1);
    // The same batch again: the accepted messages are not kept twice and get their first ACKs.
    const again = batchParts(await c.request(batchOf(['hello, world\r', good, bad, cancel], id, { file: true })));
    c.end();
    assert.equal(again.acks[1], acks[1]);
    assert.equal(again.acks[3], acks[3]);
    assert.equal(rows(gw, 'control_id = ?', [field(good, 'MSH', 10)]).length, 1);
    assert.equal(rows(gw, 'control_id = ?', [field(bad, 'MSH', 10)]).length, 2, 'a rejected message is kept each time');
  });

  test('MLLP: a batch of messages that ask for no acknowledgement gets an empty batch back', async () => {
    const quiet = [fresh(BOOKING, { original: false }), fresh(BOOKING, { original: false })].map((m) => setMsh(setMsh(m, 15, 'NE'), 16, 'NE'));
    const c = await mllpConnect(gw.mllp);
    const answer = await c.request(batchOf(quiet, `BATCH-${process.pid}-2`));
    c.end();
    assert.deepEqual(batchParts(answer).segs.map((s) => s.slice(0, 3)), ['BHS', 'BTS']);
    assert.equal(batchParts(answer).segs[1], 'BTS|0');
    for (const m of quiet) assert.equal(rows(gw, 'control_id = ?', [field(m, 'MSH', 10)]).length, 1);
  });

  test('HTTP: a batch posted to /hl7v2 gets the batch ACK; 202 when all are taken, 200 when some are not', async () => {
    const post = (body) => fetch(`http://127.0.0.1:${gw.http.port}/hl7v2`, { method: 'POST', headers: { 'content-type': 'x-application/hl7-v2+er7' }, body });
    const a = fresh(BOOKING);
    const b = fresh(BOOKING);
    let res = await post(batchOf([a, b], `BATCH-${process.pid}-3`).replace(/\r/g, '\r\n'));
    assert.equal(res.status, 202);
    let parts = batchParts(await res.text());
    assert.deepEqual(parts.acks.map((x) => [field(x, 'MSA', 1), field(x, 'MSA', 2)]), [['AA', field(a, 'MSH', 10)], ['AA', field(b, 'MSH', 10)]]);
    const bad = fresh(BAD_NHS);
    const c2 = fresh(BOOKING);
    res = await post(batchOf([bad, c2], `BATCH-${process.pid}-4`));
    assert.equal(res.status, 200);
    parts = batchParts(await res.text());
    assert.deepEqual(parts.acks.map((x) => field(x, 'MSA', 1)), ['AE', 'AA']);
    assert.equal(rows(gw, 'control_id = ?', [field(c2, 'MSH', 10)]).length, 1);
    assert.equal(rows(gw, 'control_id = ?', [field(bad, 'MSH', 10)])[0][1], 'rejected');
  });

  test('a batch whose BTS-1 counts more messages than arrived: each is kept and answered, the trailer says what is missing', async () => {
    const a = fresh(BOOKING);
    const b = fresh(BOOKING);
    const short = batchOf([a, b], `BATCH-${process.pid}-5`).replace(/BTS\|2\r$/, 'BTS|3\r');
    const c = await mllpConnect(gw.mllp);
    const parts = batchParts(await c.request(short));
    c.end();
    assert.deepEqual(parts.acks.map((x) => field(x, 'MSA', 1)), ['AA', 'AA']);
    assert.equal(parts.segs.at(-1), 'BTS|2|BTS-1 counts 3, 2 received');
    for (const m of [a, b]) assert.equal(rows(gw, 'control_id = ?', [field(m, 'MSH', 10)]).length, 1);
    // Over HTTP the batch is not "all taken" (200, not 202).
    const d = fresh(BOOKING);
    const res = await fetch(`http://127.0.0.1:${gw.http.port}/hl7v2`, { method: 'POST', headers: { 'content-type': 'x-application/hl7-v2+er7' }, body: batchOf([d], `BATCH-${process.pid}-6`).replace(/BTS\|1\r$/, 'BTS|2\r') });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /BTS\|1\|BTS-1 counts 2, 1 received\r/);
  });

  test('curl and fhir-kit-client are answered like any FHIR client', async () => {
    const file = path.join(tmp.dir, 'appt.json');
    fs.writeFileSync(file, APPOINTMENT);
    const r = spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Content-Type: application/fhir+json', '--data-binary', `@${file}`, `http://127.0.0.1:${gw.http.port}/fhir/Appointment`], { encoding: 'utf8' });
    assert.equal(r.stdout, '202', r.stderr);
    const { Client } = await import(path.join(PEERS_DIR, 'node_modules', 'fhir-kit-client', 'dist', 'client.js'));
    const client = new Client({ baseUrl: `http://127.0.0.1:${gw.http.port}/fhir` });
    const outcome = await client.create({ resourceType: 'Appointment', body: JSON.parse(APPOINTMENT) });
    assert.equal(outcome.resourceType, 'OperationOutcome');
  });

  test('SIGTERM: exits 0 with a sound journal', async () => {
    const code = await gw.stop();
    assert.equal(code, 0, gw.stderr());
    assert.equal(integrity(gw.journal), 'ok');
    // No patient data in the logs: the booking's surname and NHS number never appear.
    assert.ok(!gw.stderr().includes('Whitfield'));
    assert.ok(!gw.stderr().includes('9434765919'));
    gw = null;
  });
});

describe('fcpgw serve with tokens', () => {
  test('a wrong or missing token gets 401 with an OperationOutcome; the right one 202', async () => {
    const tmp = tempDir();
    fs.writeFileSync(path.join(tmp.dir, 'token'), 'file-token-0123456789\n');
    const gw = await startGateway({
      cwd: tmp.dir,
      env: { FCPGW_TEST_TOKEN: 'env-token-9876543210' },
      sets: [`listeners.http.clients={"booking":"env:FCPGW_TEST_TOKEN","ers":"file:${path.join(tmp.dir, 'token')}"}`],
    });
    try {
      const url = `http://127.0.0.1:${gw.http.port}/fhir/Appointment`;
      const post = (auth) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/fhir+json', ...(auth ? { authorization: auth } : {}) }, body: APPOINTMENT });
      let res = await post(null);
      assert.equal(res.status, 401);
      assert.equal((await res.json()).resourceType, 'OperationOutcome');
      res = await post('Bearer wrong');
      assert.equal(res.status, 401);
      assert.equal((await post('Bearer env-token-9876543210')).status, 202);
      assert.equal((await post('Bearer file-token-0123456789')).status, 202);
      assert.ok(!gw.stderr().includes('env-token-9876543210'));
      assert.ok(!gw.stderr().includes('file-token-0123456789'));
    } finally {
      await gw.kill();
      tmp.cleanup();
    }
  });
});

describe('fcpgw serve with a full journal', () => {
  test('a journal that cannot grow answers AE and 503, stays up, and is not ready', async () => {
    const tmp = tempDir();
    const gw = await startGateway({ cwd: tmp.dir, sets: ['journal.max_bytes=65536'] });
    try {
      const c = await mllpConnect(gw.mllp);
      let last;
      for (let i = 0; i < 200; i++) {
        last = await c.request(fresh(BOOKING));
        if (field(last, 'MSA', 1) !== 'AA') break;
      }
      assert.equal(field(last, 'MSA', 1), 'AE');
      assert.match(field(last, 'ERR', 3), /^207\^/);
      // A batch into the full journal: nothing of it is kept, and every message says so.
      const m1 = fresh(BOOKING);
      const m2 = fresh(BOOKING);
      const batch = `BHS|^~\\&|PAS|RX1|||||||FULL1\r${m1}${m2}BTS|2\r`;
      const answer = await c.request(batch);
      const acks = answer.split('\r').filter((l) => l.startsWith('MSA|'));
      assert.deepEqual(acks.map((l) => l.split('|')[1]), ['AE', 'AE']);
      assert.equal(sql(gw.journal, 'SELECT count(*) FROM messages WHERE control_id IN (?, ?)', [field(m1, 'MSH', 10), field(m2, 'MSH', 10)])[0][0], 0);
      const res = await fetch(`http://127.0.0.1:${gw.http.port}/hl7v2`, { method: 'POST', headers: { 'content-type': 'x-application/hl7-v2+er7' }, body: batch });
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '5');
      assert.equal((await fetch(`http://127.0.0.1:${gw.http.port}/readyz`)).status, 503);
      assert.equal((await fetch(`http://127.0.0.1:${gw.http.port}/healthz`)).status, 200);
      c.end();
    } finally {
      await gw.kill();
      tmp.cleanup();
    }
  });
});

describe('fcpgw serve: a bad configuration stops it before it listens', () => {
  test('an unknown key is named, exit 2', () => {
    const r = fcpgw(['serve', '--set', 'listeners.mllp.prot=1'], { timeoutMs: 10_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /listeners\.mllp\.prot.*did you mean "port"/);
  });
  test('a port in use is named, exit non-zero', async () => {
    const blocker = net.createServer();
    await new Promise((r) => blocker.listen(0, '127.0.0.1', r));
    const port = blocker.address().port;
    const tmp = tempDir();
    try {
      const r = spawnSync(BIN, ['serve', '--set', `listeners.mllp.port=${port}`, '--set', 'listeners.http.port=0'], { cwd: tmp.dir, encoding: 'utf8', timeout: 10_000 });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port}`));
    } finally {
      blocker.close();
      tmp.cleanup();
    }
  });
});

void CORPUS_DIR;

describe('fcpgw serve with TLS and mutual TLS', () => {
  test('a client with a certificate from the CA is served over MLLP and HTTPS; one without is refused', async () => {
    const tmp = tempDir();
    const p = (f) => path.join(tmp.dir, f);
    const ssl = (args) => {
      const r = spawnSync('openssl', args, { cwd: tmp.dir, encoding: 'utf8' });
      assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
    };
    ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=fcpgw test CA', '-keyout', 'ca.key', '-out', 'ca.pem']);
    fs.writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr']);
    ssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server.pem']);
    ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=practice-system', '-keyout', 'client.key', '-out', 'client.csr']);
    ssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', 'client.pem']);
    const tlsSets = (l) => [
      `listeners.${l}.tls.enabled=true`,
      `listeners.${l}.tls.cert_file=${p('server.pem')}`,
      `listeners.${l}.tls.key_file=${p('server.key')}`,
      `listeners.${l}.tls.ca_file=${p('ca.pem')}`,
      `listeners.${l}.tls.require_client_cert=true`,
    ];
    const gw = await startGateway({ cwd: tmp.dir, sets: [...tlsSets('mllp'), ...tlsSets('http')] });
    try {
      assert.ok(gw.mllp.tls && gw.http.tls, gw.ready);
      const file = p('m.hl7');
      const m = fresh(BOOKING);
      fs.writeFileSync(file, m);
      const to = ['--to', `127.0.0.1:${gw.mllp.port}`, '--tls', '--ca', p('ca.pem')];
      let r = fcpgw(['send', ...to, '--cert', p('client.pem'), '--key', p('client.key'), file]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`${field(m, 'MSH', 10)}: AA`));
      r = fcpgw(['send', ...to, file]);
      assert.equal(r.status, 3, 'no client certificate: refused');
      const url = `https://127.0.0.1:${gw.http.port}/healthz`;
      const curl = (extra) => spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', p('ca.pem'), ...extra, url], { encoding: 'utf8' });
      assert.equal(curl(['--cert', p('client.pem'), '--key', p('client.key')]).stdout, '200');
      assert.notEqual(curl([]).stdout, '200');
      // A plain TCP client against the TLS listener gets no ACK.
      const plain = await mllpConnect(gw.mllp);
      plain.send(frame(fresh(BOOKING)));
      await assert.rejects(plain.next(3000));
      plain.end();
    } finally {
      await gw.kill();
      tmp.cleanup();
    }
  });
});
