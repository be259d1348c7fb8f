// The real fcpgw binary on bad input of every kind (exit codes, one clear message, no crash, no
// patient data echoed), batch input (many messages, ER7 or MLLP) in bounded memory, and
// validate's OperationOutcome output.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CORPUS_DIR, SOURCE_DIR, fcpgw, ndjson, runMeasured, tempDir } from './lib.mjs';

const tmp = tempDir();
after(() => tmp.cleanup());
const SAMPLE_S12 = path.join(SOURCE_DIR, 'config', 'samples', 'siu-s12-fcp-booking.hl7');
const s12 = fs.readFileSync(SAMPLE_S12, 'utf8');

function write(name, content) {
  const p = path.join(tmp.dir, name);
  fs.writeFileSync(p, content);
  return p;
}

function assertCleanFailure(r, code, ...mustMention) {
  assert.equal(r.signal, null, `killed by ${r.signal}`);
  assert.equal(r.status, code, `exit ${r.status}, stderr:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /terminate called|Aborted|what\(\)|Segmentation|AddressSanitizer|runtime error/);
  const lines = r.stderr.split('\n').filter((l) => l.trim());
  assert.ok(lines.length >= 1 && lines.length <= 5, `a short message, got:\n${r.stderr}`);
  for (const m of mustMention) assert.ok(r.stderr.includes(m), `stderr mentions '${m}':\n${r.stderr}`);
}

test('--version and help', () => {
  const v = fcpgw(['--version']);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^fcpgw \d+\.\d+\.\d+/);
  const h = fcpgw(['help']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /translate/);
});

test('missing file, directory, empty input, garbage: exit 2 naming the input', () => {
  const missing = path.join(tmp.dir, 'no-such.hl7');
  assertCleanFailure(fcpgw(['translate', missing]), 2, missing, 'no such file');
  assertCleanFailure(fcpgw(['translate', tmp.dir]), 2, tmp.dir, 'directory');
  assertCleanFailure(fcpgw(['translate', write('empty.hl7', '')]), 2, 'empty input');
  assertCleanFailure(fcpgw(['translate', write('garbage.bin', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]))]), 2, 'byte 0', 'unrecognised');
  assertCleanFailure(fcpgw(['validate', write('xml.xml', '<Appointment/>')]), 2, "'<'");
});

test('a 200 MB input is refused at the limit, not loaded', () => {
  const big = path.join(tmp.dir, 'big.hl7');
  const fd = fs.openSync(big, 'w');
  fs.writeSync(fd, 'MSH|^~\\&|A|B|C|D|20250101||SIU^S12^SIU_S12|1|P|2.5.1\rNTE|1||');
  fs.ftruncateSync(fd, 200 * 1024 * 1024); // the rest reads as NUL bytes
  fs.closeSync(fd);
  const m = runMeasured(['translate', big]);
  assert.equal(m.status, 2, m.stderr);
  assert.match(m.stderr, /larger than the limit of 16777216 bytes/);
  assert.ok(m.maxrss_kib < 96 * 1024, `peak RSS ${m.maxrss_kib} KiB`);

  const json = path.join(tmp.dir, 'big.json');
  const fj = fs.openSync(json, 'w');
  fs.writeSync(fj, '{"resourceType":"Appointment","comment":"');
  fs.ftruncateSync(fj, 200 * 1024 * 1024);
  fs.closeSync(fj);
  const mj = runMeasured(['validate', json]);
  assert.equal(mj.status, 2, mj.stderr);
  assert.match(mj.stderr, /larger than the limit/);
  assert.ok(mj.maxrss_kib < 96 * 1024, `peak RSS ${mj.maxrss_kib} KiB`);
});

test('invalid UTF-8 and NUL bytes inside a message: no crash', () => {
  const latin1 = Buffer.from(s12.replace('HARGREAVES', 'M\xdcLLER'), 'latin1');
  const r1 = fcpgw(['translate', '-'], { input: latin1 });
  assert.equal(r1.signal, null);
  assert.ok(r1.status === 0 || r1.status === 2, `exit ${r1.status}: ${r1.stderr}`);
  if (r1.status === 0) JSON.parse(r1.stdout); // any output is well-formed JSON
  const withNul = Buffer.from(s12.replace('Left knee', 'Left\0knee'), 'latin1');
  const r2 = fcpgw(['translate', '-'], { input: withNul });
  assert.equal(r2.signal, null);
  assert.ok(r2.status === 0 || r2.status === 2, `exit ${r2.status}: ${r2.stderr}`);
});

test('a bad NHS number is reported with its location and without patient data', () => {
  const bad = s12.replace('9990001049', '9990001048'); // wrong check digit
  const r = fcpgw(['translate', write('bad-nhs.hl7', bad)]);
  assertCleanFailure(r, 2, 'bad-nhs.hl7', 'PID-3');
  for (const secret of ['9990001048', 'HARGREAVES', 'Joan', '19580412', 'Wharf Lane', 'knee']) {
    assert.ok(!r.stderr.includes(secret), `stderr must not echo patient data (${secret}):\n${r.stderr}`);
  }
  assert.equal(r.stdout, '');
});

test('a message that is not a message: located error', () => {
  const r = fcpgw(['translate', write('no-msh.hl7', 'MSH|^~\\&|A|B|C|D|20250101||SIU^S12^SIU_S12||P|2.5.1\rSCH|1\r')]);
  assertCleanFailure(r, 2, 'message 1', 'MSH-10');
});

test('a bad mapping file stops with the file and rule named (exit 2)', () => {
  const maps = path.join(tmp.dir, 'maps');
  fs.cpSync(path.join(SOURCE_DIR, 'mappings'), maps, { recursive: true, filter: (src) => !src.includes(`${path.sep}golden`) });
  const mappingFile = path.join('v2-to-fhir', fs.readdirSync(path.join(maps, 'v2-to-fhir')).find((f) => f.endsWith('.json')));
  assert.ok(mappingFile.endsWith('.json'), 'the source tree has mapping files');
  fs.writeFileSync(path.join(maps, mappingFile), '{"mapping": 42, "resources": [ }');
  const r = fcpgw(['translate', '--mappings', maps, SAMPLE_S12]);
  assertCleanFailure(r, 2, mappingFile);
  const env = fcpgw(['translate', SAMPLE_S12], { env: { FCPGW_MAPPINGS_DIR: maps } });
  assertCleanFailure(env, 2, mappingFile);
});

test('batch: blank-line separated ER7 and MLLP frames give one Bundle per line', () => {
  const msgs = [1, 2, 3].map((i) => s12.replace('A81001-20250310-000123', `A81001-20250310-00012${i}`));
  const er7 = write('batch.hl7', msgs.join('\n\n'));
  const r = fcpgw(['translate', er7]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(ndjson(r.stdout).length, 3);
  const mllp = write('batch.mllp', msgs.map((m) => `\x0b${m}\x1c\r`).join(''));
  const r2 = fcpgw(['translate', mllp]);
  assert.equal(r2.status, 0, r2.stderr);
  assert.deepEqual(ndjson(r2.stdout), ndjson(r.stdout));
  // One bad message in the middle: the others are still translated, exit 2, the bad one named.
  const mixed = write('mixed.hl7', [msgs[0], 'MSH|^~\\&|broken', msgs[2]].join('\n'));
  const r3 = fcpgw(['translate', mixed]);
  assert.equal(r3.status, 2);
  assert.equal(ndjson(r3.stdout).length, 2);
  assert.match(r3.stderr, /message 2/);
  // --pretty is for one document.
  assert.equal(fcpgw(['translate', '--pretty', er7]).status, 2);
});

test('batch: a file that starts with FHS/BHS gives every message; validate agrees', () => {
  const msgs = [1, 2].map((i) => s12.replace('A81001-20250310-000123', `A81001-20250310-00012${i}`));
  const body = 'FHS|^~\\&|EMIS|A81001|||20250310090000\rBHS|^~\\&|EMIS|A81001\r' +
    msgs.map((m) => m.replace(/\r?\n/g, '\r')).join('') + 'BTS|2\rFTS|1\r';
  const file = write('batch-fhs.hl7', body);
  const r = fcpgw(['translate', file]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(ndjson(r.stdout).length, 2);
  const v = fcpgw(['validate', file]);
  assert.equal(v.status, 0, v.stderr);
  // The same batch inside one MLLP frame.
  const framed = write('batch-fhs.mllp', `\x0b${body}\x1c\r`);
  const r2 = fcpgw(['translate', framed]);
  assert.equal(r2.status, 0, r2.stderr);
  assert.deepEqual(ndjson(r2.stdout), ndjson(r.stdout));
});

test('batch of 20,000 messages streams in bounded memory', () => {
  const n = 20000;
  const file = path.join(tmp.dir, 'many.hl7');
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < n; i++) {
    fs.writeSync(fd, s12.replace('A81001-20250310-000123', `BATCH-${i}`).replace('APPT-77120', `APPT-${i}`) + '\n');
  }
  fs.closeSync(fd);
  const out = path.join(tmp.dir, 'many.ndjson');
  const m = runMeasured(['translate', '--quiet', file], { stdoutFile: out, timeoutMs: 240_000 });
  assert.equal(m.status, 0, m.stderr);
  const lines = fs.readFileSync(out, 'utf8').split('\n').filter((l) => l);
  assert.equal(lines.length, n);
  assert.ok(m.maxrss_kib < 20 * 1024, `peak RSS ${m.maxrss_kib} KiB for ${n} messages`);
});

test('validate: OperationOutcome and exit codes', () => {
  const good = fcpgw(['validate', path.join(SOURCE_DIR, 'mappings', 'golden', 'appointments', 'fhir_booked_bundle.json')]);
  assert.equal(good.status, 0, good.stdout + good.stderr);
  assert.equal(JSON.parse(good.stdout).resourceType, 'OperationOutcome');

  // Valid R4 that the mapping refuses (no patient identifier, so no PID-3): an error, as translate says.
  const noPatient = fcpgw(['validate', path.join(CORPUS_DIR, 'fhir', 'r4ex_Appointment-example.json')]);
  assert.equal(noPatient.status, 1, noPatient.stdout);
  assert.ok(JSON.parse(noPatient.stdout).issue.some((i) => i.severity === 'error' && (i.expression || []).includes('Appointment.participant')));

  const bad = fcpgw(['validate', write('bad-appt.json', '{"resourceType":"Appointment","status":"maybe"}')]);
  assert.equal(bad.status, 1);
  const oo = JSON.parse(bad.stdout);
  assert.ok(oo.issue.some((i) => i.severity === 'error' && (i.expression || []).some((e) => e.includes('Appointment.'))));

  const v2 = fcpgw(['validate', SAMPLE_S12]);
  assert.equal(v2.status, 0, v2.stdout + v2.stderr);
  assert.equal(JSON.parse(v2.stdout).resourceType, 'OperationOutcome');

  const v2bad = fcpgw(['validate', write('v2bad.hl7', s12.replace('9990001049', '9990001048'))]);
  assert.equal(v2bad.status, 1);
  const oo2 = JSON.parse(v2bad.stdout);
  assert.ok(oo2.issue.some((i) => (i.location || []).some((l) => l.startsWith('PID-3'))), v2bad.stdout);
  assert.ok(!v2bad.stdout.includes('9990001048'));
});
