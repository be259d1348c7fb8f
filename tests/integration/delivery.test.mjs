// Delivery through the real `fcpgw serve`: the default route to the outbox directory, order per
// key while a destination is broken and after it is fixed, the dead letter with hold and the
// operator's retry, replay and skip (CLI on the live journal, and the admin HTTP API), and
// reload of mappings by SIGHUP and POST /admin/reload with a broken file refused.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { er7, field, listFiles, mllpConnect, setMsh, sql, startGateway } from './gateway.mjs';
import { fcpgw, tempDir, SOURCE_DIR } from './lib.mjs';

const SAMPLES = path.join(SOURCE_DIR, 'config', 'samples');
const BOOKING = er7(fs.readFileSync(path.join(SAMPLES, 'siu-s12-fcp-booking.hl7'), 'utf8'));
const CANCEL = er7(fs.readFileSync(path.join(SAMPLES, 'siu-s15-fcp-cancellation.hl7'), 'utf8'));
const ADMIN = 'admin-token-for-tests-0042';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, fn, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// Sends each message on one MLLP connection and returns the ACK codes.
async function send(gw, messages) {
  const c = await mllpConnect(gw.mllp);
  const codes = [];
  for (const m of messages) codes.push(field(await c.request(m, 10_000), 'MSA', 1));
  c.end();
  return codes;
}

const withId = (m, id) => setMsh(setMsh(setMsh(m, 10, id), 15, ''), 16, '');

function outboxFiles(dir) {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => !f.startsWith('.')).sort() : [];
}

function deliveries(gw, where = '1 = 1', params = []) {
  return sql(gw.journal, `SELECT d.id, m.control_id, d.state, d.attempts, d.last_code FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE ${where} ORDER BY d.id`, params);
}

describe('delivery to the outbox directory', () => {
  let tmp;
  let gw;
  before(async () => {
    tmp = tempDir();
    gw = await startGateway({
      cwd: tmp.dir,
      sets: ['destinations.outbox.retry.initial_ms=50', 'destinations.outbox.retry.max_ms=200',
             `listeners.http.admin_token=env:FCPGW_TEST_ADMIN`],
      env: { FCPGW_TEST_ADMIN: ADMIN },
    });
  });
  after(async () => {
    await gw?.stop();
    tmp?.cleanup();
  });
  const outbox = () => path.join(tmp.dir, 'var', 'outbox');

  test('each sample becomes one file, named in receipt order, holding what translate writes', async () => {
    const files = listFiles(SAMPLES, '.hl7');
    const messages = files.map((f, i) => withId(er7(fs.readFileSync(f, 'utf8')), `OUT-${i}`));
    assert.deepEqual(await send(gw, messages), messages.map(() => 'AA'));
    const written = await until('files in the outbox', () => {
      const f = outboxFiles(outbox());
      return f.length === messages.length && f;
    });
    for (let i = 0; i < files.length; i++) {
      assert.match(written[i], new RegExp(`^\\d{12}-[A-Z0-9_]+-OUT-${i}\\.json$`));
      const translated = fcpgw(['translate', files[i]]);
      assert.equal(translated.status, 0, translated.stderr);
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(outbox(), written[i]), 'utf8')), JSON.parse(translated.stdout));
    }
    const list = fcpgw(['journal', 'list', '--journal', gw.journal, '--json']);
    assert.equal(list.status, 0, list.stderr);
    const rows = JSON.parse(list.stdout).filter((r) => r.control_id.startsWith('OUT-'));
    assert.equal(rows.length, messages.length);
    for (const r of rows) assert.equal(r.state, 'delivered');
    const show = fcpgw(['journal', 'show', String(rows[0].id), '--journal', gw.journal]);
    assert.equal(show.status, 0, show.stderr);
    assert.match(show.stdout, /--- delivery \d+ to outbox \(route everything-to-outbox\): delivered, 1 attempt/);
    assert.match(show.stdout, /written to .*OUT-0\.json/);
    assert.match(show.stdout, /translated \(fhir-json, \d+ bytes\)/);
  });

  test('a broken outbox holds a key in order; the messages drain once it is fixed', async () => {
    // The folder becomes a file: every write fails (transient) and is retried.
    fs.rmSync(outbox(), { recursive: true });
    fs.writeFileSync(outbox(), 'not a folder');
    const appt = 'KEY-' + Date.now();
    const book = withId(setSchId(BOOKING, appt), 'ORD-1');
    const cancel = withId(setSchId(CANCEL, appt), 'ORD-2');
    assert.deepEqual(await send(gw, [book, cancel]), ['AA', 'AA']);
    await until('retries of the first', () => {
      const d = deliveries(gw, 'm.control_id = ?', ['ORD-1']);
      return d.length === 1 && d[0][3] >= 2 && d;
    });
    // The second of the key never started while the first failed.
    const second = deliveries(gw, 'm.control_id = ?', ['ORD-2'])[0];
    assert.equal(second[2], 'waiting');
    assert.equal(second[3], 0);

    fs.rmSync(outbox());
    fs.mkdirSync(outbox());
    await until('both delivered', () => deliveries(gw, "m.control_id IN ('ORD-1', 'ORD-2') AND d.state = 'delivered'").length === 2);
    const files = outboxFiles(outbox());
    const first = files.find((f) => f.includes('ORD-1'));
    const later = files.find((f) => f.includes('ORD-2'));
    assert.ok(first < later, 'names sort in receipt order');
    const t1 = fs.statSync(path.join(outbox(), first), { bigint: true }).mtimeNs;
    const t2 = fs.statSync(path.join(outbox(), later), { bigint: true }).mtimeNs;
    assert.ok(t1 <= t2, 'the update was written after the booking');
  });

  test('admin API: closed to clients, lists, shows, counts and replays', async () => {
    const base = `http://127.0.0.1:${gw.http.port}/admin`;
    let res = await fetch(`${base}/journal`);
    assert.equal(res.status, 401);
    res = await fetch(`${base}/journal?state=delivered&limit=2`, { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(res.status, 200);
    const rows = await res.json();
    assert.equal(rows.length, 2);
    res = await fetch(`${base}/journal/${rows[0].id}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const shown = await res.json();
    assert.equal(shown.summary.id, rows[0].id);
    assert.equal(shown.deliveries[0].destination, 'outbox');
    assert.equal(shown.deliveries[0].tries[0].code, 'written');
    res = await fetch(`${base}/journal/stats`, { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.ok((await res.json()).delivered >= 2);
    res = await fetch(`${base}/journal/${rows[0].id}/replay`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).deliveries, 1);
    await until('the replay', () => deliveries(gw, 'd.message_id = ? AND d.attempts = 2 AND d.state = ?', [rows[0].id, 'delivered']).length === 1);
    res = await fetch(`${base}/journal/999999`, { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(res.status, 404);
    res = await fetch(`${base}/journal?state=lost`, { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(res.status, 400);
    res = await fetch(`${base}/nothing`, { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(res.status, 404);
  });
});

// SCH-1 and SCH-2 (placer and filler appointment ids): the ordering key.
function setSchId(message, id) {
  return message
    .split('\r')
    .map((s) => {
      if (!s.startsWith('SCH|')) return s;
      const p = s.split('|');
      p[1] = id;
      p[2] = id;
      return p.join('|');
    })
    .join('\r');
}

describe('the dead letter: hold, retry and skip from the CLI on a live journal', () => {
  let tmp;
  let gw;
  before(async () => {
    tmp = tempDir();
    gw = await startGateway({
      cwd: tmp.dir,
      sets: ['destinations.outbox.retry.initial_ms=20', 'destinations.outbox.retry.max_ms=40',
             'destinations.outbox.retry.max_attempts=2', 'listeners.http.enabled=false'],
    });
  });
  after(async () => {
    await gw?.stop();
    tmp?.cleanup();
  });

  test('a delivery that gives up holds its key until retried; skip lets the key go', async () => {
    const outbox = path.join(tmp.dir, 'var', 'outbox');
    fs.rmSync(outbox, { recursive: true });
    fs.writeFileSync(outbox, 'not a folder');
    const a = withId(setSchId(BOOKING, 'HOLD-A'), 'DL-1');
    const b = withId(setSchId(CANCEL, 'HOLD-A'), 'DL-2');
    assert.deepEqual(await send(gw, [a, b]), ['AA', 'AA']);
    await until('the dead letter', () => deliveries(gw, "m.control_id = 'DL-1' AND d.state = 'dead'").length === 1);
    const [[id1]] = sql(gw.journal, "SELECT id FROM messages WHERE control_id = 'DL-1'");
    const [[id2]] = sql(gw.journal, "SELECT id FROM messages WHERE control_id = 'DL-2'");
    let show = fcpgw(['journal', 'show', String(id1), '--journal', gw.journal]);
    assert.match(show.stdout, /dead, 2 attempts/);
    assert.match(show.stdout, /gave up after 2 attempts/);
    const dead = fcpgw(['journal', 'list', '--state', 'dead', '--journal', gw.journal, '--json']);
    assert.deepEqual(JSON.parse(dead.stdout).map((r) => r.id), [id1]);
    await sleep(300);
    assert.equal(deliveries(gw, "m.control_id = 'DL-2'")[0][2], 'waiting', 'held behind the dead one');

    // Fixed, and retried by an operator: it goes, then the next of its key.
    fs.rmSync(outbox);
    fs.mkdirSync(outbox);
    const retry = fcpgw(['journal', 'retry', String(id1), '--journal', gw.journal]);
    assert.equal(retry.status, 0, retry.stderr);
    assert.match(retry.stdout, /retry message \d+: 1 delivery changed/);
    await until('both delivered', () => deliveries(gw, "m.control_id IN ('DL-1', 'DL-2') AND d.state = 'delivered'").length === 2);
    show = fcpgw(['journal', 'show', String(id2), '--journal', gw.journal, '--json']);
    assert.equal(JSON.parse(show.stdout).summary.state, 'delivered');

    // Skip: the dead one stays dead, the next one goes.
    fs.rmSync(outbox, { recursive: true });
    fs.writeFileSync(outbox, 'not a folder');
    const c = withId(setSchId(BOOKING, 'HOLD-B'), 'DL-3');
    const d = withId(setSchId(CANCEL, 'HOLD-B'), 'DL-4');
    assert.deepEqual(await send(gw, [c, d]), ['AA', 'AA']);
    await until('the dead letter', () => deliveries(gw, "m.control_id = 'DL-3' AND d.state = 'dead'").length === 1);
    fs.rmSync(outbox);
    fs.mkdirSync(outbox);
    const [[id3]] = sql(gw.journal, "SELECT id FROM messages WHERE control_id = 'DL-3'");
    assert.equal(fcpgw(['journal', 'skip', String(id3), '--journal', gw.journal]).status, 0);
    await until('the next one', () => deliveries(gw, "m.control_id = 'DL-4' AND d.state = 'delivered'").length === 1);
    assert.equal(deliveries(gw, "m.control_id = 'DL-3'")[0][2], 'dead');
    assert.equal(fcpgw(['journal', 'retry', '--journal', gw.journal]).status, 2, 'retry needs an id or --dead');
  });
});

describe('reload of mappings and routes', () => {
  let tmp;
  let gw;
  let mappingsDir;
  let configFile;
  before(async () => {
    tmp = tempDir();
    mappingsDir = path.join(tmp.dir, 'mappings');
    fs.cpSync(path.join(SOURCE_DIR, 'mappings'), mappingsDir, {
      recursive: true,
      filter: (src) => !src.includes(`${path.sep}golden`) && !/\.(cc|h|txt|md)$/.test(src),
    });
    configFile = path.join(tmp.dir, 'fcpgw.json');
    fs.writeFileSync(configFile, JSON.stringify({ mappings: { dir: 'mappings' }, listeners: { http: { admin_token: 'env:FCPGW_TEST_ADMIN' } } }));
    gw = await startGateway({ cwd: tmp.dir, config: configFile, env: { FCPGW_TEST_ADMIN: ADMIN } });
  });
  after(async () => {
    await gw?.stop();
    tmp?.cleanup();
  });
  const profileOf = (control) => {
    const outbox = path.join(tmp.dir, 'var', 'outbox');
    const f = outboxFiles(outbox).find((n) => n.includes(control));
    if (!f) return undefined;
    const bundle = JSON.parse(fs.readFileSync(path.join(outbox, f), 'utf8'));
    return bundle.entry.find((e) => e.resource.resourceType === 'Appointment').resource.meta.profile[0];
  };

  test('SIGHUP takes a changed mapping file; a broken one is refused and the old set keeps working', async () => {
    assert.deepEqual(await send(gw, [withId(BOOKING, 'RL-1')]), ['AA']);
    const before = await until('the first file', () => profileOf('RL-1'));
    const file = path.join(mappingsDir, 'v2-to-fhir/siu.json');
    const original = fs.readFileSync(file, 'utf8');
    assert.ok(original.includes(before));
    fs.writeFileSync(file, original.split(before).join('https://example.org/StructureDefinition/Reloaded'));
    gw.proc.kill('SIGHUP');
    await until('the reload', () => gw.stderr().includes('"event":"serve.reloaded"'));
    assert.deepEqual(await send(gw, [withId(BOOKING, 'RL-2')]), ['AA']);
    assert.equal(await until('the second file', () => profileOf('RL-2')), 'https://example.org/StructureDefinition/Reloaded');

    fs.writeFileSync(file, '{ "mapping": ');
    const res = await fetch(`http://127.0.0.1:${gw.http.port}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(res.status, 422);
    const body = await res.json();
    assert.equal(body.reloaded, false);
    assert.match(body.problems.join('\n'), /v2-to-fhir\/siu\.json/);
    assert.deepEqual(await send(gw, [withId(BOOKING, 'RL-3')]), ['AA']);
    assert.equal(await until('the third file', () => profileOf('RL-3')), 'https://example.org/StructureDefinition/Reloaded');
  });

  test('SIGHUP under load: nothing is lost, and what is sent after the reload uses the new mapping', async () => {
    const file = path.join(mappingsDir, 'v2-to-fhir/siu.json');
    const original = fs.readFileSync(path.join(SOURCE_DIR, 'mappings', 'v2-to-fhir/siu.json'), 'utf8');
    const old = 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-Appointment';
    const next = 'https://example.org/StructureDefinition/UnderLoad';
    assert.ok(original.includes(old));
    fs.writeFileSync(file, original); // undo the broken file of the test before
    const reloads = () => (gw.stderr().match(/"event":"serve\.reloaded"/g) || []).length;
    const before = reloads();
    gw.proc.kill('SIGHUP');
    await until('the reload of the original', () => reloads() === before + 1);

    // Four senders stream bookings; halfway, the mapping changes and SIGHUP is sent.
    const sent = []; // {id, at}
    let reloadedAt = Infinity;
    let stop = false;
    const sender = async (c) => {
      const conn = await mllpConnect(gw.mllp);
      for (let i = 0; !stop; i++) {
        const id = `LD-${c}-${i}`;
        const at = Date.now();
        assert.equal(field(await conn.request(withId(BOOKING, id), 10_000), 'MSA', 1), 'AA');
        sent.push({ id, at });
      }
      conn.end();
    };
    const senders = [0, 1, 2, 3].map(sender);
    await sleep(700);
    fs.writeFileSync(file, original.split(old).join(next));
    gw.proc.kill('SIGHUP');
    await until('the reload under load', () => reloads() === before + 2);
    reloadedAt = Date.now();
    await sleep(700);
    stop = true;
    await Promise.all(senders);

    const after = sent.filter((m) => m.at > reloadedAt);
    assert.ok(sent.length > after.length && after.length > 0, `${sent.length} sent, ${after.length} after the reload`);
    for (const m of sent) {
      const profile = await until(`the file of ${m.id}`, () => profileOf(m.id));
      if (m.at > reloadedAt) assert.equal(profile, next, m.id);
      else assert.ok(profile === old || profile === next, `${m.id}: ${profile}`);
    }
  });
});
