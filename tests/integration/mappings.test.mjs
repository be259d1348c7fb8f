// Mappings are data: an interface engineer edits a copy of mappings/ and the real binary uses
// it at once, without a rebuild; `fcpgw mappings test` then names the case that no longer
// matches and the element that changed. Also `fcpgw translate --trace` on the same sample.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_DIR, fcpgw, tempDir } from './lib.mjs';

const tmp = tempDir();
after(() => tmp.cleanup());
const SAMPLE_S12 = path.join(SOURCE_DIR, 'config', 'samples', 'siu-s12-fcp-booking.hl7');
const s12 = fs.readFileSync(SAMPLE_S12, 'utf8');
const MAPPINGS = path.join(tmp.dir, 'mappings');
fs.cpSync(path.join(SOURCE_DIR, 'mappings'), MAPPINGS, { recursive: true });
// Only data: the copy must not need anything from the source tree's C++ files.
for (const f of fs.readdirSync(MAPPINGS)) if (/\.(cc|h|txt)$/.test(f)) fs.rmSync(path.join(MAPPINGS, f));

function appointmentStatus(stdout) {
  const bundle = JSON.parse(stdout);
  const appt = bundle.entry.map((e) => e.resource).find((r) => r.resourceType === 'Appointment');
  assert.ok(appt, 'the Bundle holds an Appointment');
  return appt.status;
}

// The script an engineer might run: SCH-25 "Booked" now maps to FHIR "pending".
function editStatusTable(dir) {
  const file = path.join(dir, 'tables', 'v2-0278-to-appointment-status.json');
  const table = JSON.parse(fs.readFileSync(file, 'utf8'));
  let edited = 0;
  for (const group of table.group)
    for (const element of group.element)
      if (element.code === 'Booked') {
        element.target[0].code = 'pending';
        edited++;
      }
  assert.equal(edited, 1, 'the 0278 table has one Booked entry');
  fs.writeFileSync(file, JSON.stringify(table, null, 2));
}

test('the unchanged copy translates like the bundled mappings and all its cases pass', () => {
  const bundled = fcpgw(['translate', SAMPLE_S12]);
  assert.equal(bundled.status, 0, bundled.stderr);
  const copy = fcpgw(['translate', '--mappings', MAPPINGS, SAMPLE_S12]);
  assert.equal(copy.status, 0, copy.stderr);
  assert.equal(copy.stdout, bundled.stdout);
  assert.equal(appointmentStatus(copy.stdout), 'booked');
  const cases = fcpgw(['mappings', 'test', '--mappings', MAPPINGS]);
  assert.equal(cases.status, 0, cases.stdout + cases.stderr);
  assert.match(cases.stdout, /^\d+ passed, 0 failed\n$/);
});

test('editing a code table changes the output without a rebuild', () => {
  editStatusTable(MAPPINGS);
  const r = fcpgw(['translate', '--mappings', MAPPINGS, SAMPLE_S12]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(appointmentStatus(r.stdout), 'pending');
  // The bundled mappings are untouched.
  assert.equal(appointmentStatus(fcpgw(['translate', SAMPLE_S12]).stdout), 'booked');
});

test('mappings test then names the failing cases and the element that changed', () => {
  const r = fcpgw(['mappings', 'test', '--mappings', MAPPINGS]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^FAIL appointments\/s12_fcp_booking_bst \(v2 -> FHIR, siu-to-fhir\)$/m);
  // Each difference names the rule that wrote the element.
  assert.match(r.stdout, /^ +entry\[0\]\.resource\.status: expected "booked", got "pending"  \(v2-to-fhir\/siu\.json: #appointment-status \(path "status"\)\.choose\[1\]\)$/m);
  const summary = r.stdout.trimEnd().split('\n').pop();
  const m = summary.match(/^(\d+) passed, (\d+) failed$/);
  assert.ok(m, `summary line, got: ${summary}`);
  assert.ok(Number(m[2]) >= 1 && Number(m[1]) >= 1, summary);
  // Cases of other families do not use the table and still pass.
  assert.doesNotMatch(r.stdout, /FAIL referrals\//);
  // --filter and a folder of the user's own.
  const own = path.join(tmp.dir, 'my-cases');
  fs.mkdirSync(own);
  for (const f of ['s15_cancelled.hl7', 's15_cancelled.expected.json'])
    fs.copyFileSync(path.join(MAPPINGS, 'golden', 'appointments', f), path.join(own, f));
  const mine = fcpgw(['mappings', 'test', '--mappings', MAPPINGS, '--verbose', own]);
  assert.equal(mine.status, 0, mine.stdout + mine.stderr);
  assert.equal(mine.stdout, 'ok   s15_cancelled (v2 -> FHIR, siu-to-fhir)\n1 passed, 0 failed\n');
});

test('mappings test usage errors exit 2', () => {
  const missing = fcpgw(['mappings', 'test', path.join(tmp.dir, 'no-such-dir')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /does not exist/);
  const bad = path.join(tmp.dir, 'bad-mappings');
  fs.cpSync(MAPPINGS, bad, { recursive: true });
  fs.writeFileSync(path.join(bad, 'v2-to-fhir/siu.json'), '{"mapping": ');
  const r = fcpgw(['mappings', 'test', '--mappings', bad]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /v2-to-fhir\/siu\.json/);
});

test('translate --trace: same output on stdout, one line per element on stderr, no values', () => {
  const plain = fcpgw(['translate', SAMPLE_S12]);
  const traced = fcpgw(['translate', '--trace', SAMPLE_S12]);
  assert.equal(traced.status, 0, traced.stderr);
  assert.equal(traced.stdout, plain.stdout);
  // The data warnings (SCH-12, SCH-20 ... not carried) come first; they carry no values either.
  const lines = traced.stderr.split('\n').filter((l) => !/^fcpgw: .*: warning: /.test(l));
  assert.match(lines[0], /^fcpgw: trace: .*siu-s12-fcp-booking\.hl7: message 1 \(byte 0\) \(mapping siu-to-fhir\)$/);
  assert.ok(lines.includes('  entry[0]  <- resource appointment (Appointment)  (v2-to-fhir/siu.json: #appointment)'), traced.stderr);
  assert.ok(lines.some((l) => /^  entry\[0\]\.resource\.status  <- SCH-25\[1\]\.1 via .*table v2-0278-to-appointment-status  \(v2-to-fhir\/siu\.json: #appointment-status \(path "status"\)/.test(l)), traced.stderr);
  assert.ok(lines.some((l) => /^  entry\[0\]\.resource\.start  <- (TQ1-7\[1\]|SCH-11\[1\]\.4) via transform dtm-instant/.test(l)), traced.stderr);
  // Every traced element exists in the Bundle.
  const bundle = JSON.parse(traced.stdout);
  for (const l of lines.slice(1).filter((x) => x.trim())) {
    const element = l.trim().split('  <- ')[0];
    let v = bundle;
    for (const step of element.match(/[^.[\]]+|\[\d+\]/g)) v = step.startsWith('[') ? v?.[Number(step.slice(1, -1))] : v?.[step];
    assert.notEqual(v, undefined, `traced element ${element} is in the output`);
  }
  // Patient data from the message never appears in the trace.
  const pid = s12.split(/\r\n|\r|\n/).find((seg) => seg.startsWith('PID|'));
  for (const value of pid.split(/[|^~&]/).filter((x) => x.length >= 5)) assert.ok(!traced.stderr.includes(value), `trace carries '${value}'`);
  // With the edited copy, the trace shows the same rule (the data changed, not the rule).
  const edited = fcpgw(['translate', '--trace', '--mappings', MAPPINGS, SAMPLE_S12]);
  assert.equal(edited.status, 0, edited.stderr);
  assert.match(edited.stderr, /entry\[0\]\.resource\.status  <- SCH-25\[1\]\.1 via/);
});

// The interface engineer's loop on a fresh copy: edit a table, see the cases that change,
// accept one, then update the rest; the written files make every case pass again.
test('mappings test --accept and --update write the expected files and say what changed', () => {
  const dir = path.join(tmp.dir, 'loop');
  fs.cpSync(path.join(SOURCE_DIR, 'mappings'), dir, { recursive: true });
  editStatusTable(dir);
  const golden = path.join(dir, 'golden');
  const snapshot = () => Object.fromEntries(fs.readdirSync(golden, { recursive: true }).sort().map((f) => {
    const p = path.join(golden, f);
    return [f, fs.statSync(p).isFile() ? fs.readFileSync(p, 'utf8') : null];
  }));
  const before = snapshot();
  const failing = fcpgw(['mappings', 'test', '--mappings', dir]);
  assert.equal(failing.status, 1, failing.stdout + failing.stderr);
  assert.deepEqual(snapshot(), before, 'without --update or --accept nothing is written');
  const names = [...failing.stdout.matchAll(/^FAIL (\S+) /gm)].map((m) => m[1]);
  assert.ok(names.includes('appointments/s12_fcp_booking_bst'), failing.stdout);

  const one = fcpgw(['mappings', 'test', '--mappings', dir, '--accept', 'appointments/s12_fcp_booking_bst']);
  assert.equal(one.status, 0, one.stdout + one.stderr);
  assert.match(one.stdout, /^UPDATE appointments\/s12_fcp_booking_bst \(v2 -> FHIR, siu-to-fhir\)$/m);
  assert.match(one.stdout, /^ +entry\[0\]\.resource\.status: expected "booked", got "pending"  \(v2-to-fhir\/siu\.json: /m);
  const file = path.join(golden, 'appointments', 's12_fcp_booking_bst.expected.json');
  assert.match(one.stdout, new RegExp(`^ +wrote ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  assert.match(one.stdout, /^0 passed, 0 failed, 1 updated$/m);
  const written = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(written.entry[0].resource.status, 'pending');
  assert.ok(!fs.readdirSync(path.dirname(file)).some((f) => f.includes('.tmp')), 'no temporary file left');

  const rest = fcpgw(['mappings', 'test', '--mappings', dir, '--update']);
  assert.equal(rest.status, 0, rest.stdout + rest.stderr);
  const updated = [...rest.stdout.matchAll(/^UPDATE (\S+) /gm)].map((m) => m[1]);
  assert.deepEqual(updated.sort(), names.filter((n) => n !== 'appointments/s12_fcp_booking_bst').sort());
  const again = fcpgw(['mappings', 'test', '--mappings', dir]);
  assert.equal(again.status, 0, again.stdout);
  assert.match(again.stdout, /^\d+ passed, 0 failed\n$/);

  // A new case: an input without expected file fails until it is accepted.
  fs.copyFileSync(SAMPLE_S12, path.join(golden, 'appointments', 'new_sample.hl7'));
  const fresh = fcpgw(['mappings', 'test', '--mappings', dir, '--filter', 'new_sample']);
  assert.equal(fresh.status, 1);
  assert.match(fresh.stdout, /no expected result: add new_sample\.expected\.json/);
  const accepted = fcpgw(['mappings', 'test', '--mappings', dir, '--accept', 'appointments/new_sample']);
  assert.equal(accepted.status, 0, accepted.stdout + accepted.stderr);
  assert.ok(fs.existsSync(path.join(golden, 'appointments', 'new_sample.expected.json')));
});

test('the bundled cases keep passing when a site sets its own constants', () => {
  const site = path.join(tmp.dir, 'site.json');
  fs.writeFileSync(site, JSON.stringify({ mappings: { constants: { 'id-base': 'https://fhir.site.nhs.uk/Id', 'v2.sending-facility': 'SITE' } } }));
  const r = fcpgw(['mappings', 'test', '--config', site]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  // The site's translations do use its constants.
  const t = fcpgw(['translate', '--config', site, SAMPLE_S12]);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /https:\/\/fhir\.site\.nhs\.uk\/Id\//);
});

test('translate --message-time gives what the golden runner expects', () => {
  const input = path.join(SOURCE_DIR, 'mappings', 'golden', 'appointments', 'fhir_booked_no_last_updated.json');
  const expected = fs.readFileSync(input.replace(/\.json$/, '.expected.hl7'), 'utf8');
  const r = fcpgw(['translate', '--lf', '--message-time', '2025-06-02T09:00:00+01:00', input]);
  assert.equal(r.status, 0, r.stderr);
  const lines = (s) => s.split(/\r\n|\r|\n/).filter((l) => l);
  assert.deepEqual(lines(r.stdout), lines(expected));
  const bad = fcpgw(['translate', '--message-time', 'noon', input]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--message-time: expected a FHIR instant/);
});

test('translate --explain names what was not written and why, without values', () => {
  const src = fs.readFileSync(path.join(SOURCE_DIR, 'mappings', 'golden', 'appointments', 'room_pl9_only.hl7'), 'utf8');
  const room = path.join(tmp.dir, 'room-without-id.hl7');
  fs.writeFileSync(room, src.replace(/AIL\|1\|A\|[^\r\n]*/, 'AIL|1|A||CLINIC^Clinic room^L'));
  const plain = fcpgw(['translate', room]);
  const r = fcpgw(['translate', '--explain', room]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, plain.stdout);
  assert.ok(!JSON.parse(r.stdout).entry.some((e) => e.resource.resourceType === 'Location'));
  assert.match(r.stderr, /^fcpgw: explain: .*room-without-id\.hl7: message 1 \(byte 0\) \(mapping siu-to-fhir\)$/m);
  assert.match(r.stderr, /^  resource location \(Location\) for AIL not written: when any\(present AIL-3\.1, present AIL-3\.2, present AIL-3\.9, present AIL-3\.4\.1\) did not hold  \(v2-to-fhir\/siu\.json: #location\)$/m);
  for (const value of ['9434765919', 'Briain', '19850214']) assert.ok(!r.stderr.includes(value), `explain carries '${value}'`);
});

test('translate --explain names the sources a rule found empty: a room sent as PL.2 only', () => {
  const src = fs.readFileSync(path.join(SOURCE_DIR, 'mappings', 'golden', 'appointments', 'room_pl9_only.hl7'), 'utf8');
  const room = path.join(tmp.dir, 'room-pl2.hl7');
  fs.writeFileSync(room, src.replace(/AIL\|1\|A\|[^\r\n]*/, 'AIL|1|A|^Room 4'));
  const r = fcpgw(['translate', '--explain', room]);
  assert.equal(r.status, 0, r.stderr);
  const location = JSON.parse(r.stdout).entry.map((e) => e.resource).find((x) => x.resourceType === 'Location');
  assert.ok(location, 'the room is a Location');
  assert.equal(location.identifier.length, 1);
  // The PL.1 identifier: skipped by its condition, named by the rule's id.
  assert.match(r.stderr, /^  entry\[\d+\]\.resource\.identifier\[\+\] for AIL not written: when present AIL-3\.1 did not hold  \(v2-to-fhir\/siu\.json: #location\.set\[0\] \(path "identifier\[\+\]"\)\)$/m);
  // A rule that ran without a value: every source it tried, in order.
  assert.match(r.stderr, /^  entry\[0\]\.resource\.minutesDuration not written: SCH-9\[1\] empty, else TQ1-6\.1 empty, else SCH-11\[1\]\.3 empty, .*\(v2-to-fhir\/siu\.json: #appointment-minutes-duration \(path "minutesDuration"\)\)$/m);
  assert.ok(!r.stderr.includes('Room 4'), 'explain carries a value');
});

test('mappings check: ok with what was loaded, or every problem with file, rule and place', () => {
  const ok = fcpgw(['mappings', 'check', '--mappings', MAPPINGS]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /: ok: \d+ mappings \(\d+ v2 -> FHIR, \d+ FHIR -> v2\), \d+ rules$/m);
  assert.match(ok.stdout, /^  v2-to-fhir\/siu\.json  siu-to-fhir \(v2-to-fhir\): SIU\^S12/m);

  const bad = path.join(tmp.dir, 'check-mappings');
  fs.cpSync(MAPPINGS, bad, { recursive: true });
  const siu = path.join(bad, 'v2-to-fhir', 'siu.json');
  // A key written twice in one object: the status rule's "comment" (just before its id), and
  // another after the id.
  const text = fs.readFileSync(siu, 'utf8');
  const lines = text.split('\n');
  const at = lines.findIndex((l) => /^\s*"id": "appointment-status",$/.test(l));
  assert.ok(at > 0 && /^ {10}"comment": /.test(lines[at - 1]));
  lines.splice(at + 1, 0, '          "comment": "another",');
  fs.writeFileSync(siu, lines.join('\n'));
  const dup = fcpgw(['mappings', 'check', '--mappings', bad]);
  assert.equal(dup.status, 2);
  assert.match(dup.stderr, new RegExp(`siu\\.json: duplicate key 'comment' at line ${at + 2}, column 11 \\(first at line ${at}, column 11\\)`));

  // Load errors name the rule by its id, with the closest known name.
  const doc = JSON.parse(text);
  const status = doc.resources[0].set.find((x) => x.id === 'appointment-status');
  status.choose[1].transform = 'dtm-instnt';
  fs.writeFileSync(siu, JSON.stringify(doc, null, 2));
  const typo = fcpgw(['mappings', 'check', '--mappings', bad]);
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /v2-to-fhir\/siu\.json: #appointment-status \(path "status"\)\.choose\[1\]: unknown transform 'dtm-instnt' \(did you mean 'dtm-instant'\?\)/);

  // A configured *-base constant that cannot be right names the configuration key.
  const site = path.join(tmp.dir, 'slash-site.json');
  fs.writeFileSync(site, JSON.stringify({ mappings: { constants: { 'id-base': 'https://fhir.site.nhs.uk/Id/' } } }));
  const slash = fcpgw(['mappings', 'check', '--config', site]);
  assert.equal(slash.status, 2);
  assert.match(slash.stderr, /mappings\.constants\.id-base.*ends with '\/'/);
});
