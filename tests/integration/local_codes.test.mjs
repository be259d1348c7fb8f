// Onboarding a practice's local codes is a table edit: the worked example of mappings/README.md
// ("Local codes"), performed with the real binary on a temporary copy of the mappings. The
// ConceptMap group added is the one the README shows, read from it, so the two stay in step.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_DIR, fcpgw, tempDir } from './lib.mjs';

const tmp = tempDir();
after(() => tmp.cleanup());
const MAPPINGS = path.join(tmp.dir, 'mappings');
fs.cpSync(path.join(SOURCE_DIR, 'mappings'), MAPPINGS, { recursive: true });
for (const f of fs.readdirSync(MAPPINGS)) if (/\.(cc|h|txt)$/.test(f)) fs.rmSync(path.join(MAPPINGS, f));
const MESSAGE = path.join(SOURCE_DIR, 'mappings', 'golden', 'appointments', 'local_codes_as_sent.hl7');
const TABLE = path.join(MAPPINGS, 'tables', 'local-appointment-type.json');
const LOCAL_L = 'https://fcpgw.example.org/CodeSystem/A81001/L';
const V2_0276 = 'http://terminology.hl7.org/CodeSystem/v2-0276';

function appointment(bundle) {
  const appt = bundle.entry.map((e) => e.resource).find((r) => r.resourceType === 'Appointment');
  assert.ok(appt, 'the Bundle holds an Appointment');
  return appt;
}

// The group the README tells the engineer to add (step 2 of the worked example).
function readmeGroup() {
  const readme = fs.readFileSync(path.join(SOURCE_DIR, 'mappings', 'README.md'), 'utf8');
  const at = readme.indexOf('Edit `~/site-mappings/tables/local-appointment-type.json`');
  assert.ok(at > 0, 'mappings/README.md has the worked example');
  const block = readme.slice(at).match(/```json\n([\s\S]*?)```/);
  assert.ok(block, 'the worked example shows the group to add');
  return JSON.parse(`{${block[1]}}`).group;
}

test('step 1: the hook is empty, the local code is carried as sent and the trace says so', () => {
  const r = fcpgw(['translate', '--mappings', MAPPINGS, '--trace', MESSAGE]);
  assert.equal(r.status, 0, r.stderr);
  const appt = appointment(JSON.parse(r.stdout));
  assert.deepEqual(appt.appointmentType, {
    coding: [{ system: LOCAL_L, code: 'FUP', display: 'Follow-up' }],
    text: 'Follow-up',
  });
  assert.match(r.stderr, /^ +entry\[0\]\.resource\.appointmentType +<- SCH-8\[1\] via transform ce-codeable-concept, table local-appointment-type \(not in table: as sent\) +\(v2-to-fhir\/siu\.json: #appointment-type \(path "appointmentType"\)\)$/m);
});

test('steps 2-3: edit the ConceptMap, add a case with --update: the case carries the translation', () => {
  const table = JSON.parse(fs.readFileSync(TABLE, 'utf8'));
  assert.equal(table.group, undefined, 'the shipped hook has no group');
  table.group = readmeGroup();
  fs.writeFileSync(TABLE, JSON.stringify(table, null, 2));
  const golden = path.join(MAPPINGS, 'golden', 'appointments');
  fs.copyFileSync(MESSAGE, path.join(golden, 'a81001_follow_up.hl7'));

  const u = fcpgw(['mappings', 'test', '--mappings', MAPPINGS, '--update']);
  assert.equal(u.status, 0, u.stdout + u.stderr);
  assert.match(u.stdout, /^UPDATE appointments\/a81001_follow_up \(v2 -> FHIR, siu-to-fhir\)$/m);
  // Only the new case is written: no other case uses A81001's L codes through this hook
  // except local_codes_as_sent, which the edit changes too.
  const updated = [...u.stdout.matchAll(/^UPDATE (\S+)/gm)].map((m) => m[1]).sort();
  assert.deepEqual(updated, ['appointments/a81001_follow_up', 'appointments/local_codes_as_sent']);
  assert.match(u.stdout, /^\d+ passed, 0 failed, 2 updated$/m);

  const expected = JSON.parse(fs.readFileSync(path.join(golden, 'a81001_follow_up.expected.json'), 'utf8'));
  const type = appointment(expected).appointmentType;
  assert.deepEqual(type.coding[0], { system: LOCAL_L, code: 'FUP', display: 'Follow-up' }, 'the coding as sent stays first');
  assert.deepEqual(type.coding[1], {
    system: V2_0276,
    code: 'FOLLOWUP',
    display: 'A follow up visit from a previous appointment',
  });
  assert.equal(type.text, 'Follow-up');

  // The new case passes as it is now, and so does every other case.
  const again = fcpgw(['mappings', 'test', '--mappings', MAPPINGS]);
  assert.equal(again.status, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /^\d+ passed, 0 failed\n$/);
  const traced = fcpgw(['translate', '--mappings', MAPPINGS, '--trace', MESSAGE]);
  assert.match(traced.stderr, /appointmentType +<- SCH-8\[1\] via transform ce-codeable-concept, table local-appointment-type \(translated\)/);
});

test('the same code from another practice is another system: left as sent', () => {
  const other = path.join(tmp.dir, 'b86012.hl7');
  fs.writeFileSync(other, fs.readFileSync(MESSAGE, 'utf8').replaceAll('A81001', 'B86012'));
  const r = fcpgw(['translate', '--mappings', MAPPINGS, other]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(appointment(JSON.parse(r.stdout)).appointmentType.coding, [
    { system: 'https://fcpgw.example.org/CodeSystem/B86012/L', code: 'FUP', display: 'Follow-up' },
  ]);
});

test('a source code mapped twice is a load error naming the file, the group and the code', () => {
  const table = JSON.parse(fs.readFileSync(TABLE, 'utf8'));
  table.group[0].element.push({ code: 'fup', target: [{ code: 'ROUTINE', equivalence: 'equivalent' }] });
  fs.writeFileSync(TABLE, JSON.stringify(table, null, 2));
  const r = fcpgw(['translate', '--mappings', MAPPINGS, MESSAGE]);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /tables\/local-appointment-type\.json: group\[0\]\.element\[1\]: group\[0\] \(source https:\/\/fcpgw\.example\.org\/CodeSystem\/A81001\/L\): source code 'fup' is mapped twice, to 'FOLLOWUP' and to 'ROUTINE'/);
});
