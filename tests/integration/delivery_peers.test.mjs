// Delivery to real receivers on loopback: the Medplum FHIR server (tests/peers/fhir-server.mjs,
// which validates every write) and python3-hl7's MLLP server (tests/peers/mllp-server.py).
// What arrives is read back from the receivers themselves (FHIR searches by identifier, the MLLP
// server's log), and the journal is checked to agree: nothing lost, nothing twice, in order.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { er7, field, mllpConnect, setMsh, sql, startGateway } from './gateway.mjs';
import { appointmentMessages, documentMessages, fcpgw, http, startFhirServer, startMllpServer, tempDir, CORPUS_DIR, REFUSED_DOCUMENTS, SOURCE_DIR } from './lib.mjs';

const SAMPLES = path.join(SOURCE_DIR, 'config', 'samples');
const GOLDEN = path.join(SOURCE_DIR, 'mappings', 'golden');
const read = (f) => er7(fs.readFileSync(f, 'utf8'));
const BOOKING = read(path.join(SAMPLES, 'siu-s12-fcp-booking.hl7'));
const CANCEL = read(path.join(SAMPLES, 'siu-s15-fcp-cancellation.hl7'));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, fn, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// Sends each message on one MLLP connection; resolves with the ACK codes.
async function send(gw, messages) {
  const c = await mllpConnect(gw.mllp);
  const codes = [];
  for (const m of messages) codes.push(field(await c.request(m, 15_000), 'MSA', 1));
  c.end();
  return codes;
}

const withId = (m, id) => setMsh(m, 10, id);

// Deliveries by state, for the whole journal.
function states(gw) {
  const out = {};
  for (const [state, n] of sql(gw.journal, 'SELECT state, count(*) FROM deliveries GROUP BY state')) out[state] = n;
  return out;
}
const drained = (gw) => {
  const s = states(gw);
  return !s.waiting && !s.ready && s;
};
// Waits until no delivery is open; on timeout, says which are and why.
async function untilDrained(gw, timeoutMs = 60_000) {
  try {
    return await until('every delivery finished', () => drained(gw), timeoutMs);
  } catch (e) {
    const open = sql(gw.journal, "SELECT d.id, m.control_id, d.state, d.attempts, d.last_code, d.last_reason FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE d.state IN ('waiting', 'ready', 'dead') ORDER BY d.id LIMIT 20");
    throw new Error(`${e.message}: ${JSON.stringify(states(gw))}\n${open.map((r) => r.join(' | ')).join('\n')}`);
  }
}

async function search(base, type, identifier) {
  const r = await http('GET', `${base}/${type}?identifier=${encodeURIComponent(identifier)}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return (r.body.entry || []).map((e) => e.resource);
}

// A port that nothing listens on (yet).
async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// Message `step` (0 = S12, 1 and 2 = S14 with a changed note, 3 = S15) of appointment `k`.
function appointmentStep(k, step) {
  const id = `OUT${String(k).padStart(3, '0')}`;
  const base = step === 3 ? CANCEL : setMsh(BOOKING, 9, step === 0 ? 'SIU^S12^SIU_S12' : 'SIU^S14^SIU_S12');
  let m = base.replace(/APPT-77120/g, `APPT-${id}`).replace(/FCP-2025-004812/g, `FCP-${id}`);
  if (step === 1 || step === 2) m = m.replace(/^NTE\|1\|\|.*$/m, `NTE|1||Update ${step} for ${id}`);
  return withId(m, `${id}-${step}`);
}

// The receiver's writes per appointment, as delivery ids in the order it took them.
function writesByAppointment(log) {
  const byKey = new Map();
  for (const w of log) {
    const delivery = Number(w.requestId.split('-')[1]);
    const key = (w.entries.find((e) => e.startsWith('PUT Appointment?')) || '').split('|').pop();
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key).push(delivery);
  }
  return byKey;
}

async function assertCancelledOnce(fhir, keys) {
  for (let k = 0; k < keys; k++) {
    const id = `OUT${String(k).padStart(3, '0')}`;
    const found = await search(fhir.base, 'Appointment', `https://fcpgw.example.org/Id/A81001/appointment-filler|APPT-${id}`);
    assert.equal(found.length, 1, id);
    assert.equal(found[0].status, 'cancelled', id);
  }
}

const fhirDestination = (url) => [
  'destinations.ehr.type=fhir', `destinations.ehr.url=${url}`,
  'destinations.ehr.retry.initial_ms=50', 'destinations.ehr.retry.max_ms=1000',
  'routes=[{"name":"to-ehr","destinations":["ehr"]}]',
];

describe('FHIR destination: the corpus reaches a FHIR server once, as the searches see it', () => {
  let tmp;
  let fhir;
  let gw;
  before(async () => {
    tmp = tempDir();
    fhir = await startFhirServer();
    gw = await startGateway({ cwd: tmp.dir, sets: fhirDestination(fhir.base) });
  });
  after(async () => {
    await gw?.stop();
    await fhir?.stop();
    tmp?.cleanup();
  });

  test('appointments, referrals and fit notes: each record once, its latest state', async () => {
    const corpus = [...appointmentMessages(), ...documentMessages()].map(read);
    // A referral and its update: the I13 of the golden cases, preceded by the I12 it modifies.
    const i13 = read(path.join(GOLDEN, 'referrals', 'i13_rheumatology_modify.hl7'));
    const i12 = setMsh(setMsh(i13, 9, 'REF^I12^REF_I12'), 10, 'FCP0003-NEW').replace(/^RF1\|[^|]*/m, 'RF1|P^Pending^HL70283');
    const fitnote = read(path.join(GOLDEN, 'fitnotes', 'notfit_gmt_single_condition.hl7'));
    const messages = [
      ...corpus.map((m, i) => withId(m, `CORPUS-${i}`)),
      withId(BOOKING, 'PEER-S12'), withId(CANCEL, 'PEER-S15'),
      i12, withId(i13, 'FCP0003-UPD'),
      withId(fitnote, 'FIT-1'), withId(fitnote, 'FIT-1-RESENT'),
    ];
    const codes = await send(gw, messages);
    assert.ok(codes.every((c) => c === 'AA' || c === 'CA'), codes.join(' '));
    // What is refused at the door (a draft letter, a document that is not base64) gets AE (in
    // original mode) and never reaches a delivery.
    const refused = Object.keys(REFUSED_DOCUMENTS).map((f, i) =>
      setMsh(setMsh(withId(read(path.join(CORPUS_DIR, 'v2', f)), `REFUSED-${i}`), 15, ''), 16, ''));
    assert.deepEqual(await send(gw, refused), refused.map(() => 'AE'));
    assert.deepEqual(sql(gw.journal, "SELECT count(*) FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE m.control_id LIKE 'REFUSED-%'"), [[0]]);
    const s = await untilDrained(gw);
    const dead = sql(gw.journal, "SELECT m.control_id, d.last_code, d.last_reason FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE d.state = 'dead'");
    assert.deepEqual(dead, [], 'dead letters');
    assert.ok(s.delivered >= messages.length - 2, JSON.stringify(s)); // duplicates of MSH-10 are journaled once

    // The S12 and the S15 of one appointment: one Appointment, cancelled.
    const appts = await search(fhir.base, 'Appointment', 'https://fcpgw.example.org/Id/A81001/appointment-filler|APPT-77120');
    assert.equal(appts.length, 1);
    assert.equal(appts[0].status, 'cancelled');
    // The referral and its update: one ServiceRequest.
    const referrals = await search(fhir.base, 'ServiceRequest', 'https://fcpgw.example.org/Id/B82005/referral-placer|FCP-REF-0003');
    assert.equal(referrals.length, 1);
    // The fit note, sent twice: one document.
    const docs = await search(fhir.base, 'Bundle', 'https://fcpgw.example.org/Id/B82005/fit-note|FN-B82005-000101');
    assert.equal(docs.length, 1);
    assert.equal(docs[0].type, 'document');

    // Nothing twice: every conditional write the receiver took finds exactly one resource.
    const conditional = new Set();
    for (const w of await fhir.log()) {
      for (const e of w.entries) if (/^PUT \w+\?identifier=/.test(e)) conditional.add(e.slice(4));
    }
    assert.ok(conditional.size > 20, `only ${conditional.size} conditional writes`);
    for (const c of conditional) {
      const [type, query] = c.split('?identifier=');
      assert.equal((await search(fhir.base, type, decodeURIComponent(query))).length, 1, c);
    }
  });

  test('a resource the receiver refuses is a dead letter with its OperationOutcome, and holds its key', async () => {
    // The receiver refuses the first write of this key with 422 (the peer's failure injection).
    const before = states(gw).dead || 0;
    const bad = withId(BOOKING.replace(/APPT-77120/g, 'APPT-DEAD-1').replace(/FCP-2025-004812/g, 'FCP-DEAD-1'), 'PEER-DEAD-1');
    await fhir.fail({ status: 422, count: 1 });
    assert.deepEqual(await send(gw, [bad, withId(bad, 'PEER-DEAD-2')]), ['CA', 'CA']);
    await until('the dead letter', () => (states(gw).dead || 0) === before + 1);
    const [[code, reason, response]] = sql(gw.journal, "SELECT d.last_code, d.last_reason, a.response FROM deliveries d JOIN messages m ON m.id = d.message_id JOIN attempts a ON a.delivery_id = d.id WHERE m.control_id = 'PEER-DEAD-1'");
    assert.equal(code, '422');
    assert.match(reason, /^HTTP 422 from http:\/\/127\.0\.0\.1:\d+\//);
    assert.match(response, /OperationOutcome/);
    // The second message of that key waits behind the dead one (on_dead = hold).
    await sleep(500);
    const [[state]] = sql(gw.journal, "SELECT d.state FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE m.control_id = 'PEER-DEAD-2'");
    assert.equal(state, 'waiting');
    // The operator retries it: both go, in order.
    const retry = fcpgw(['journal', 'retry', '--dead', '--journal', gw.journal]);
    assert.equal(retry.status, 0, retry.stderr);
    await untilDrained(gw);
    const log = await fhir.log();
    const ids = log.filter((w) => w.entries.some((e) => e.includes('APPT-DEAD-1'))).map((w) => w.requestId);
    assert.equal(ids.length, 2, JSON.stringify({ ids, log: log.slice(-3), journal: sql(gw.journal, "SELECT d.id, m.control_id, d.state, d.attempts FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE m.control_id LIKE 'PEER-DEAD%'") }));
    const order = ids.map((id) => Number(id.split('-')[1]));
    assert.ok(order[0] < order[1], `out of order: ${ids}`);
  });
});

describe('FHIR destination: the receiver is down, then fails under load, then recovers', () => {
  let tmp;
  let fhir;
  let gw;
  let port;
  before(async () => {
    tmp = tempDir();
    port = await freePort();
    gw = await startGateway({ cwd: tmp.dir, sets: [...fhirDestination(`http://127.0.0.1:${port}`), 'destinations.ehr.concurrency=4'] });
  });
  after(async () => {
    await gw?.stop();
    await fhir?.stop();
    tmp?.cleanup();
  });

  test('20 appointments, 4 messages each: all arrive, in order per appointment, once in effect', async () => {
    const KEYS = 20;
    const wave = (step) => Array.from({ length: KEYS }, (_, k) => appointmentStep(k, step));

    // The receiver is not there at all: connections are refused; everything waits.
    assert.ok((await send(gw, [...wave(0), ...wave(1)])).every((c) => c === 'CA'));
    await until('refused attempts', () => sql(gw.journal, "SELECT count(*) FROM attempts WHERE code = 'refused'")[0][0] >= 2);
    assert.equal(states(gw).delivered || 0, 0);

    // It comes up, and then answers 503 with Retry-After, 429, and drops connections, while
    // more messages arrive.
    fhir = await startFhirServer({ port });
    await fhir.fail({ status: 503, count: 10, retryAfter: '1' });
    const sending = send(gw, wave(2));
    await until('the 503s consumed', async () => (await fhir.failuresLeft()) === 0);
    await fhir.fail({ status: 429, count: 10, retryAfter: '1' });
    await until('the 429s consumed', async () => (await fhir.failuresLeft()) === 0);
    await fhir.fail({ reset: true, count: 5 });
    await until('the drops consumed', async () => (await fhir.failuresLeft()) === 0);
    // And then it takes writes but loses its answers: those deliveries go again.
    await fhir.fail({ dropAfter: true, count: 5 });
    assert.ok((await sending).every((c) => c === 'CA'));
    assert.ok((await send(gw, wave(3))).every((c) => c === 'CA'));

    const s = await untilDrained(gw, 120_000);
    assert.deepEqual(s, { delivered: KEYS * 4 });
    await fhir.fail({ count: 0 }); // what the gateway did not need is not for the searches below
    const codes = Object.fromEntries(sql(gw.journal, 'SELECT code, count(*) FROM attempts GROUP BY code'));
    for (const c of ['refused', '503', '429', 'reset']) assert.ok(codes[c] > 0, `no ${c} attempt: ${JSON.stringify(codes)}`);
    // Retry-After was honoured: no attempt of a delivery came sooner than 1 s after its 503/429.
    const early = sql(gw.journal, `SELECT count(*) FROM attempts a WHERE a.code IN ('503', '429') AND EXISTS
                                   (SELECT 1 FROM attempts b WHERE b.delivery_id = a.delivery_id AND b.id > a.id
                                    AND b.started_ms - a.started_ms < 1000)`)[0][0];
    assert.equal(early, 0, 'a retry came before Retry-After');

    // At the receiver: each delivery written once, except those whose answer was lost (twice,
    // back to back), and per appointment in receipt order.
    const log = await fhir.log();
    const ids = log.map((w) => Number(w.requestId.split('-')[1]));
    assert.equal(new Set(ids).size, KEYS * 4, 'a delivery never arrived');
    assert.equal(ids.length, KEYS * 4 + 5, 'only the 5 lost answers may cause a second write');
    const byKey = writesByAppointment(log);
    assert.equal(byKey.size, KEYS, JSON.stringify([...byKey.keys()]));
    for (const [key, order] of byKey) {
      assert.deepEqual(order, [...order].sort((a, b) => a - b), `${key} out of order: ${order}`);
    }
    // And what the receiver holds is the last word for each: one Appointment, cancelled.
    await assertCancelledOnce(fhir, KEYS);
  });
});

describe('FHIR destination: the gateway is killed mid-delivery, again and again', () => {
  let tmp;
  let fhir;
  let gw;
  before(async () => {
    tmp = tempDir();
    fhir = await startFhirServer();
    await fhir.delay(25); // a receiver slow enough that every kill finds deliveries in flight
  });
  after(async () => {
    await gw?.kill();
    await fhir?.stop();
    tmp?.cleanup();
  });

  test('20 SIGKILLs while it receives and delivers: every acknowledged message arrives, in order, once in effect', async () => {
    const KEYS = 40;
    const KILLS = 20;
    const start = () => startGateway({ cwd: tmp.dir, sets: [...fhirDestination(fhir.base), 'destinations.ehr.concurrency=4'] });
    gw = await start();
    let acknowledged = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      // Every fifth life also takes a wave of messages (one step for every appointment).
      if (kill % 5 === 0) {
        const codes = await send(gw, Array.from({ length: KEYS }, (_, k) => appointmentStep(k, kill / 5)));
        assert.ok(codes.every((c) => c === 'CA'), codes.join(' '));
        acknowledged += codes.length;
      }
      await sleep(100 + Math.floor(Math.random() * 250));
      await gw.kill();
      gw = await start();
    }
    assert.equal(acknowledged, KEYS * 4);
    const s = await untilDrained(gw, 120_000);
    assert.deepEqual(s, { delivered: KEYS * 4 });
    assert.ok(sql(gw.journal, 'SELECT count(*) FROM attempts')[0][0] >= KEYS * 4);

    // Counted at the receiver: every delivery arrived; per appointment none came after a later
    // one; and each appointment is one resource in its final state.
    const log = await fhir.log();
    const written = new Set(log.map((w) => Number(w.requestId.split('-')[1])));
    assert.equal(written.size, KEYS * 4, 'a delivery never reached the receiver');
    for (const [key, order] of writesByAppointment(log)) {
      assert.deepEqual(order, [...order].sort((a, b) => a - b), `${key} out of order: ${order}`);
    }
    await assertCancelledOnce(fhir, KEYS);
  });
});

describe('FHIR destination in message mode: $process-message, BaRS style', () => {
  test('a referral goes as a message Bundle, stored once though its answer was lost; fatal-error is a dead letter', async () => {
    const tmp = tempDir();
    const fhir = await startFhirServer();
    const gw = await startGateway({ cwd: tmp.dir, sets: [...fhirDestination(fhir.base), 'destinations.ehr.mode=message'] });
    try {
      const referral = read(path.join(GOLDEN, 'referrals', 'i12_msk_physio_message.hl7'));
      // The receiver takes it but the answer never comes back: the gateway must send it again,
      // and the receiver must not keep it twice.
      await fhir.fail({ dropAfter: true, count: 1 });
      assert.deepEqual(await send(gw, [referral]), ['CA']);
      await until('delivered', () => states(gw).delivered === 1);
      const log = await fhir.log();
      assert.deepEqual(log.filter((w) => w.url === '$process-message').map((w) => w.requestId.replace(/^fcpgw-\d+-/, 'attempt ')), ['attempt 1', 'attempt 2']);
      const stored = await search(fhir.base, 'Bundle', 'https://fcpgw.example.org/Id/B82005/message|FCP0001');
      assert.equal(stored.length, 1, 'the same message stored twice');
      assert.equal(stored[0].type, 'message');
      assert.equal(stored[0].entry[0].resource.resourceType, 'MessageHeader');

      await fhir.fail({ messageResponse: 'fatal-error', count: 1 });
      const other = setMsh(referral, 10, 'FCP0002').replace(/FCP-REF-0001/g, 'FCP-REF-0002');
      assert.deepEqual(await send(gw, [other]), ['CA']);
      await until('the dead letter', () => states(gw).dead === 1);
      const [[code, reason]] = sql(gw.journal, "SELECT d.last_code, d.last_reason FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE m.control_id = 'FCP0002'");
      assert.equal(code, '200');
      assert.match(reason, /fatal-error/);
    } finally {
      await gw.stop();
      await fhir.stop();
      tmp.cleanup();
    }
  });
});

describe('FHIR destination over HTTPS: CA, client certificate and bearer token', () => {
  test('the right CA, certificate and token deliver; a wrong CA is retried, a wrong token is a dead letter', async () => {
    const tmp = tempDir();
    const p = (f) => path.join(tmp.dir, f);
    const ssl = (args) => {
      const r = spawnSync('openssl', args, { cwd: tmp.dir, encoding: 'utf8' });
      assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
    };
    for (const ca of ['ca', 'other-ca']) {
      ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=fcpgw test ${ca}`, '-keyout', `${ca}.key`, '-out', `${ca}.pem`]);
    }
    fs.writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=ehr', '-keyout', 'server.key', '-out', 'server.csr']);
    ssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server.pem']);
    ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=fcpgw', '-keyout', 'client.key', '-out', 'client.csr']);
    ssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', 'client.pem']);
    const TOKEN = 'ehr-token-0042';
    const fhir = await startFhirServer({ args: ['--tls-cert', p('server.pem'), '--tls-key', p('server.key'), '--tls-ca', p('ca.pem'), '--token', TOKEN] });
    const curl = (what) => JSON.parse(spawnSync('curl', ['-s', '--cacert', p('ca.pem'), '--cert', p('client.pem'), '--key', p('client.key'),
      '-H', `Authorization: Bearer ${TOKEN}`, `${fhir.base}/${what}`], { encoding: 'utf8' }).stdout);
    const run = async (name, sets, env = {}) => {
      const cwd = path.join(tmp.dir, name);
      fs.mkdirSync(cwd);
      return startGateway({ cwd, env, sets: [...fhirDestination(fhir.base), 'destinations.ehr.token=env:EHR_TOKEN',
        `destinations.ehr.cert_file=${p('client.pem')}`, `destinations.ehr.key_file=${p('client.key')}`, ...sets] });
    };
    const gws = [];
    try {
      const good = await run('good', [`destinations.ehr.ca_file=${p('ca.pem')}`], { EHR_TOKEN: TOKEN });
      const wrongCa = await run('wrong-ca', [`destinations.ehr.ca_file=${p('other-ca.pem')}`], { EHR_TOKEN: TOKEN });
      const wrongToken = await run('wrong-token', [`destinations.ehr.ca_file=${p('ca.pem')}`], { EHR_TOKEN: 'not-the-token' });
      gws.push(good, wrongCa, wrongToken);
      for (const [i, gw] of gws.entries()) assert.deepEqual(await send(gw, [withId(BOOKING, `TLS-${i}`)]), ['CA']);

      await until('delivered over HTTPS', () => states(good).delivered === 1);
      assert.ok(curl('__test/log').some((w) => w.entries.some((e) => e.includes('APPT-77120'))));
      assert.equal(curl('Appointment?identifier=APPT-77120').entry.length, 1);

      await until('TLS failures retried', () => sql(wrongCa.journal, "SELECT count(*) FROM attempts WHERE code = 'tls'")[0][0] >= 2);
      assert.equal(states(wrongCa).ready, 1, 'a certificate problem is retried, not dropped');
      const [[reason]] = sql(wrongCa.journal, "SELECT reason FROM attempts WHERE code = 'tls' LIMIT 1");
      assert.match(reason, /certificate/i);

      await until('the dead letter', () => states(wrongToken).dead === 1);
      assert.equal(sql(wrongToken.journal, 'SELECT last_code FROM deliveries')[0][0], '401');
    } finally {
      for (const gw of gws) await gw.stop();
      await fhir.stop();
      tmp.cleanup();
    }
  });
});

describe('MLLP destination: FHIR in, HL7 v2 out to a practice system (python3-hl7)', () => {
  const APPOINTMENT = fs.readFileSync(path.join(GOLDEN, 'appointments', 'fhir_cancelled.json'), 'utf8');
  const route = (peer, extra = []) => [
    'destinations.practice.type=mllp', 'destinations.practice.host=127.0.0.1', `destinations.practice.port=${peer.port}`,
    'destinations.practice.retry.initial_ms=50', 'destinations.practice.retry.max_ms=200',
    'routes=[{"name":"appointments-out","types":["Appointment"],"destinations":["practice"]}]', ...extra,
  ];
  const post = async (gw, body) => {
    const r = await http('POST', `http://${gw.http.host}:${gw.http.port}/fhir/Appointment`, body);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return Number(r.headers.get('content-location').split('/').pop());
  };
  const delivery = (gw, id) => sql(gw.journal, 'SELECT state, attempts, last_code, output FROM deliveries WHERE message_id = ?', [id])[0];

  test('an Appointment posted over HTTP arrives as an SIU, and its ACK is recorded', async () => {
    const tmp = tempDir();
    const peer = await startMllpServer();
    const gw = await startGateway({ cwd: tmp.dir, sets: route(peer) });
    try {
      const id = await post(gw, APPOINTMENT);
      await until('delivered', () => delivery(gw, id)?.[0] === 'delivered');
      const [, attempts, code, output] = delivery(gw, id);
      assert.equal(attempts, 1);
      assert.equal(code, 'AA');
      const got = peer.received();
      assert.equal(got.length, 1);
      assert.equal(got[0].type, 'SIU^S15^SIU_S12');
      assert.equal(got[0].control_id, field(output.replace(/\n/g, '\r'), 'MSH', 10));
      const [[response]] = sql(gw.journal, 'SELECT a.response FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.message_id = ?', [id]);
      assert.match(response, /MSA\|AA\|/);
    } finally {
      await gw.stop();
      await peer.stop();
      tmp.cleanup();
    }
  });

  test('AE is retried with the same MSH-10 until AA; AR is a dead letter', async () => {
    const tmp = tempDir();
    const peer = await startMllpServer({ first: 2, firstAnswer: 'AE' });
    const gw = await startGateway({ cwd: tmp.dir, sets: route(peer) });
    try {
      const id = await post(gw, APPOINTMENT);
      await until('delivered', () => delivery(gw, id)?.[0] === 'delivered');
      assert.equal(delivery(gw, id)[1], 3);
      const got = peer.received();
      assert.deepEqual(got.map((g) => g.answer), ['AE', 'AE', 'AA']);
      assert.equal(new Set(got.map((g) => g.control_id)).size, 1, 'MSH-10 changed between attempts');
    } finally {
      await gw.stop();
      await peer.stop();
      tmp.cleanup();
    }

    const tmp2 = tempDir();
    const rejecting = await startMllpServer({ answer: 'AR' });
    const gw2 = await startGateway({ cwd: tmp2.dir, sets: route(rejecting) });
    try {
      const id = await post(gw2, APPOINTMENT);
      await until('dead', () => delivery(gw2, id)?.[0] === 'dead');
      assert.equal(delivery(gw2, id)[2], 'AR');
      assert.equal(rejecting.received().length, 1);
    } finally {
      await gw2.stop();
      await rejecting.stop();
      tmp2.cleanup();
    }
  });
});
