// The real `fcpgw translate` over every appointment message of the corpus, the golden inputs and
// the bundled samples; each Bundle must pass two third-party FHIR validators (Medplum's and the
// official R4 JSON schema). Then FHIR -> v2 on the official Appointment examples, with the ER7
// read back by python3-hl7. Every bad input of the golden cases is refused by translate and
// reported, at the same places, by validate.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CORPUS_DIR, REFUSED_DOCUMENTS, SOURCE_DIR, appointmentMessages, documentMessages, fcpgw, ndjson, parseWithPythonHl7, tempDir } from './lib.mjs';
import { isError, validateFhir } from '../peers/validate.mjs';

const tmp = tempDir();
after(() => tmp.cleanup());

// HL7 table 0278 (filler status) -> Appointment.status (DOMAIN.md 3.2), and the fallback by
// trigger event when SCH-25 is empty.
const TABLE_0278 = {
  pending: 'pending', waitlist: 'waitlist', booked: 'booked', started: 'checked-in',
  complete: 'fulfilled', cancelled: 'cancelled', deleted: 'entered-in-error', noshow: 'noshow',
};
const BY_TRIGGER = { S12: 'booked', S13: 'booked', S15: 'cancelled', S17: 'entered-in-error', S26: 'noshow' };

function field(er7, segId, n) {
  const seg = er7.split(/\r\n|\r|\n/).find((s) => s.startsWith(`${segId}|`));
  if (!seg) return '';
  return seg.split('|')[segId === 'MSH' ? n - 1 : n] ?? '';
}

function expectedStatus(er7) {
  const trigger = field(er7, 'MSH', 9).split('^')[1];
  const sch25 = field(er7, 'SCH', 25).split('^')[0].trim().toLowerCase();
  // A Pending booking without any time is a proposal (mappings/README.md, SIU status).
  const timed = field(er7, 'SCH', 11) !== '' || /(^|[\r\n])TQ1\|/.test(er7) || field(er7, 'AIS', 4) !== '' || field(er7, 'AIL', 6) !== '' || field(er7, 'AIP', 6) !== '';
  if (sch25 === 'pending' && !timed && ['S12', 'S13', 'S14'].includes(trigger)) return 'proposed';
  if (sch25) return TABLE_0278[sch25]; // undefined for codes outside table 0278: not asserted
  return BY_TRIGGER[trigger];
}

const messages = appointmentMessages();

test('there are appointment messages to translate', () => {
  assert.ok(messages.length >= 10, `found only ${messages.length}`);
});

for (const file of messages) {
  const name = path.relative(path.dirname(path.dirname(file)), file);
  test(`v2 -> FHIR: ${name} translates to a Bundle both validators accept`, () => {
    const r = fcpgw(['translate', file]);
    assert.equal(r.signal, null, `killed by ${r.signal}`);
    assert.equal(r.status, 0, `exit ${r.status}; stderr:\n${r.stderr}`);
    const docs = ndjson(r.stdout);
    assert.equal(docs.length, 1, 'one message in, one Bundle out');
    const bundle = docs[0];
    assert.equal(bundle.resourceType, 'Bundle');
    const problems = validateFhir(bundle).filter(isError);
    assert.deepEqual(problems, [], `validator errors:\n${problems.map((p) => `${p.validator} ${p.path}: ${p.message}`).join('\n')}`);

    const appointments = (bundle.entry || []).map((e) => e.resource).filter((res) => res && res.resourceType === 'Appointment');
    assert.equal(appointments.length, 1, 'exactly one Appointment in the Bundle');
    const want = expectedStatus(fs.readFileSync(file, 'latin1'));
    if (want) assert.equal(appointments[0].status, want, 'Appointment.status from SCH-25 (table 0278) or the trigger event');
  });
}

test('v2 -> FHIR: all corpus appointment messages in one MLLP-framed stream give one Bundle per line', () => {
  const corpusOnly = messages.filter((f) => path.resolve(f).startsWith(path.resolve(CORPUS_DIR) + path.sep));
  assert.ok(corpusOnly.length >= 10, `corpus messages: ${corpusOnly.length}`);
  const framed = corpusOnly.map((f) => `\x0b${fs.readFileSync(f, 'latin1').replace(/\r\n|\n/g, '\r')}\x1c\r`).join('');
  const r = fcpgw(['translate', '-'], { input: Buffer.from(framed, 'latin1') });
  assert.equal(r.status, 0, r.stderr);
  const docs = ndjson(r.stdout);
  assert.equal(docs.length, corpusOnly.length);
  for (const d of docs) assert.equal(d.resourceType, 'Bundle');
});

// FHIR -> v2 on the official Appointment examples.
const EXPECTED_TRIGGER = { booked: 'S12', proposed: 'S12', pending: 'S12', waitlist: 'S12', cancelled: 'S15', noshow: 'S26', 'entered-in-error': 'S17' };
const fhirExamples = fs
  .readdirSync(path.join(CORPUS_DIR, 'fhir'))
  .filter((f) => /^r4ex_Appointment-.*\.json$/.test(f))
  .map((f) => path.join(CORPUS_DIR, 'fhir', f));

test('there are FHIR Appointment examples', () => assert.ok(fhirExamples.length >= 3));

// Golden FHIR -> v2 cases (X.json -> X.expected.hl7, with X.previous.json when the event
// depends on the earlier version): the trigger python3-hl7 reads must be the expected one.
const GOLDEN = path.join(SOURCE_DIR, 'mappings', 'golden', 'appointments');
const goldenFhir = fs.existsSync(GOLDEN)
  ? fs.readdirSync(GOLDEN).filter((f) => f.endsWith('.expected.hl7')).map((f) => f.slice(0, -'.expected.hl7'.length))
      .filter((stem) => fs.existsSync(path.join(GOLDEN, `${stem}.json`)))
  : [];
for (const stem of goldenFhir) {
  test(`FHIR -> v2: golden ${stem} gives the expected MSH-9, read by python3-hl7`, () => {
    const previous = path.join(GOLDEN, `${stem}.previous.json`);
    const args = ['translate', '--to', 'v2', ...(fs.existsSync(previous) ? ['--previous', previous] : []), path.join(GOLDEN, `${stem}.json`)];
    const r = fcpgw(args);
    assert.equal(r.status, 0, `exit ${r.status}; stderr:\n${r.stderr}`);
    const got = parseWithPythonHl7(r.stdout);
    const want = parseWithPythonHl7(fs.readFileSync(path.join(GOLDEN, `${stem}.expected.hl7`)));
    assert.deepEqual(got.msh9.slice(0, 2), want.msh9.slice(0, 2));
    assert.deepEqual(got.segments, want.segments);
  });
}

// The official examples name their patient only by a reference to a Patient they do not
// include (no identifier), so no PID-3 can be written. fcpgw never writes a SIU it would itself
// refuse: translate refuses them, and validate reports the same error at the same element.
// With the patient given by NHS number, the same example becomes an SIU python3-hl7 reads
// and fcpgw reads back.
const PATIENT_BY_NHS_NUMBER = {
  reference: 'Patient/example',
  type: 'Patient',
  identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765919' },
};
for (const file of fhirExamples) {
  test(`FHIR -> v2: ${path.basename(file)}: refused without a patient identifier, an SIU with one`, () => {
    const appointment = JSON.parse(fs.readFileSync(file, 'utf8'));
    const refused = fcpgw(['translate', '--to', 'v2', file]);
    assert.equal(refused.status, 2, refused.stdout);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /error: Appointment\.participant: no patient participant.*\[required\]/);
    const validated = fcpgw(['validate', file]);
    assert.equal(validated.status, 1);
    const outcome = JSON.parse(validated.stdout);
    assert.ok(outcome.issue.some((i) => i.severity === 'error' && i.code === 'required' && (i.expression || []).includes('Appointment.participant')), validated.stdout);

    for (const p of appointment.participant) {
      if (p.actor && /^Patient\//.test(p.actor.reference || '')) p.actor = PATIENT_BY_NHS_NUMBER;
    }
    const fixed = path.join(tmp.dir, `with-nhs-${path.basename(file)}`);
    fs.writeFileSync(fixed, JSON.stringify(appointment));
    const r = fcpgw(['translate', '--to', 'v2', fixed]);
    assert.equal(r.status, 0, `exit ${r.status}; stderr:\n${r.stderr}`);
    assert.match(r.stdout, /^MSH\|\^~\\&\|/, 'starts with MSH and the standard delimiters');
    const parsed = parseWithPythonHl7(r.stdout);
    assert.equal(parsed.msh9[0], 'SIU');
    assert.equal(parsed.msh9[1], EXPECTED_TRIGGER[appointment.status], `trigger for status ${appointment.status}`);
    if (parsed.msh9[2]) assert.equal(parsed.msh9[2], 'SIU_S12');
    assert.ok(parsed.msh10.length > 0, 'MSH-10 control id present');
    for (const seg of ['SCH', 'RGS', 'PID']) assert.ok(parsed.segments.includes(seg), `has ${seg}`);
    assert.match(parsed.pid3, /9434765919/);
    // And back: the message fcpgw wrote is one fcpgw reads.
    const back = fcpgw(['translate', '-'], { input: r.stdout });
    assert.equal(back.status, 0, back.stderr);
    assert.equal(ndjson(back.stdout)[0].resourceType, 'Bundle');
  });
}

// Referrals: the corpus REF messages and the golden referral inputs (REF and RRI), as a
// transaction and as a FHIR message Bundle, through both validators; the golden FHIR referral
// inputs back to v2, read by python3-hl7.
const REFERRALS = path.join(SOURCE_DIR, 'mappings', 'golden', 'referrals');
const referralInputs = [
  ...fs.readdirSync(path.join(CORPUS_DIR, 'v2')).filter((f) => f.startsWith('ms_REF-')).map((f) => path.join(CORPUS_DIR, 'v2', f)),
  ...(fs.existsSync(REFERRALS)
    ? fs.readdirSync(REFERRALS)
        .filter((f) => f.endsWith('.hl7') && !f.endsWith('.expected.hl7') && fs.existsSync(path.join(REFERRALS, `${f.slice(0, -4)}.expected.json`)))
        .map((f) => path.join(REFERRALS, f))
    : []),
];
for (const file of referralInputs) {
  const isRef = /\|REF\^/.test(fs.readFileSync(file, 'latin1').slice(0, 1024));
  for (const shape of isRef ? ['transaction', 'message'] : ['transaction']) {
    test(`v2 -> FHIR (${shape}): ${path.basename(file)} passes Medplum and the R4 schema`, () => {
      const r = fcpgw(['translate', '--bundle', shape, file]);
      assert.equal(r.status, 0, r.stderr);
      const docs = ndjson(r.stdout);
      assert.equal(docs.length, 1);
      const bundle = docs[0];
      assert.equal(bundle.type, shape);
      if (shape === 'message') assert.equal(bundle.entry[0].resource.resourceType, 'MessageHeader');
      const problems = validateFhir(bundle).filter(isError);
      assert.deepEqual(problems, [], JSON.stringify(problems.slice(0, 5)));
      const types = bundle.entry.map((e) => e.resource.resourceType);
      assert.ok(types.includes('Task'), 'a Task in the Bundle');
      if (isRef) assert.ok(types.includes('ServiceRequest'), 'a ServiceRequest in the Bundle');
    });
  }
}
const referralFhir = fs.existsSync(REFERRALS)
  ? fs.readdirSync(REFERRALS).filter((f) => f.endsWith('.json') && f.split('.').length === 2).map((f) => f.slice(0, -5))
      .filter((stem) => fs.existsSync(path.join(REFERRALS, `${stem}.expected.hl7`)))
  : [];
for (const stem of referralFhir) {
  test(`FHIR -> v2: golden referral ${stem} gives the expected MSH-9, read by python3-hl7`, () => {
    const previous = path.join(REFERRALS, `${stem}.previous.json`);
    const args = ['translate', '--to', 'v2', ...(fs.existsSync(previous) ? ['--previous', previous] : []), path.join(REFERRALS, `${stem}.json`)];
    const r = fcpgw(args);
    assert.equal(r.status, 0, r.stderr);
    const got = parseWithPythonHl7(r.stdout);
    const want = parseWithPythonHl7(fs.readFileSync(path.join(REFERRALS, `${stem}.expected.hl7`)));
    assert.deepEqual(got.msh9, want.msh9);
  });
}

// Corpus documents refused by design are refused, with a located reason.
for (const [name, reason] of Object.entries(REFUSED_DOCUMENTS)) {
  test(`v2 -> FHIR: v2/${name} (MDM^T02) is refused, saying where and why`, () => {
    const r = fcpgw(['translate', path.join(CORPUS_DIR, 'v2', name)]);
    assert.equal(r.status, 2, r.stdout);
    assert.match(r.stderr, reason);
  });
}

// Fit notes (document Bundles) and clinical documents (DocumentReference transactions): every
// other MDM^T02 input must give a Bundle both validators accept.
const mdmMessages = documentMessages();
test('there are MDM^T02 messages to translate', () => assert.ok(mdmMessages.length >= 10, `found only ${mdmMessages.length}`));
for (const file of mdmMessages) {
  const name = path.relative(path.dirname(path.dirname(file)), file);
  test(`v2 -> FHIR: ${name} (MDM^T02) translates to a Bundle both validators accept`, () => {
    const r = fcpgw(['translate', file]);
    assert.equal(r.status, 0, `exit ${r.status}; stderr:\n${r.stderr}`);
    const docs = ndjson(r.stdout);
    assert.equal(docs.length, 1);
    const bundle = docs[0];
    assert.ok(bundle.type === 'document' || bundle.type === 'transaction', bundle.type);
    const problems = validateFhir(bundle).filter(isError);
    assert.deepEqual(problems, [], `validator errors:\n${problems.map((p) => `${p.validator} ${p.path}: ${p.message}`).join('\n')}`);
    if (bundle.type === 'document') assert.equal(bundle.entry[0].resource.resourceType, 'Composition');
  });
}

// Every bad input of the golden cases (a case with an expected-error file, both directions):
// `translate` refuses it and `validate` reports the same errors, at the same places, with the
// same codes. What one refuses the other never passes.
const goldenRoot = path.join(SOURCE_DIR, 'mappings', 'golden');
const refusedCases = fs.readdirSync(goldenRoot, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => fs.readdirSync(path.join(goldenRoot, d.name))
    .filter((f) => f.endsWith('.expected-error.json'))
    .map((f) => path.join(d.name, f.replace(/\.expected-error\.json$/, ''))));

test('there are golden cases of bad input', () => assert.ok(refusedCases.length >= 40, `found only ${refusedCases.length}`));

for (const stem of refusedCases) {
  test(`bad input ${stem}: translate refuses it and validate reports the same errors`, () => {
    const input = ['.hl7', '.json'].map((ext) => path.join(goldenRoot, stem + ext)).find((f) => fs.existsSync(f));
    assert.ok(input, `no input for ${stem}`);
    const t = fcpgw(['translate', input]);
    assert.notEqual(t.status, 0, `translate passed it: ${t.stdout.slice(0, 200)}`);
    const v = fcpgw(['validate', input]);
    assert.notEqual(v.status, 0, `validate passed it: ${v.stdout}`);
    const errors = JSON.parse(v.stdout).issue.filter((i) => i.severity === 'error' || i.severity === 'fatal');
    // Each error translate names (`error: <location>: <text> [<code>]`) is one validate reports.
    const refused = [...t.stderr.matchAll(/error: (\S+): .*? \[([^\]]+)\]/g)].map((m) => ({ location: m[1], code: m[2] }));
    assert.ok(refused.length > 0, `translate names no error: ${t.stderr}`);
    for (const r of refused) {
      assert.ok(
        errors.some((i) => [...(i.location ?? []), ...(i.expression ?? [])].includes(r.location) &&
          (i.code === r.code || (i.details?.coding ?? []).some((c) => c.code === r.code))),
        `validate does not report ${r.location} [${r.code}]: ${v.stdout}`);
    }
  });
}
