// The real fcpgw binary with a configuration file: config/example-site.json (a practice-facing
// deployment with its own identifier and code-system bases) translating the bundled samples
// and a fit note, from an unrelated working directory, with FCPGW_MAPPINGS_DIR pointing
// elsewhere (the file's mappings.dir, relative to the file, wins); the output uses the site's
// bases and still passes both FHIR validators; a bad configuration stops the run naming the key.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, SOURCE_DIR, fcpgw, ndjson, tempDir } from './lib.mjs';
import { isError, validateFhir } from '../peers/validate.mjs';

const tmp = tempDir();
after(() => tmp.cleanup());
const SITE = path.join(SOURCE_DIR, 'config', 'example-site.json');
const SITE_ID_BASE = 'https://fhir.riverside-pcn.nhs.uk/Id/';
const SITE_CS_BASE = 'https://fhir.riverside-pcn.nhs.uk/';
const DEFAULT_BASES = /fcpgw\.example\.org|fhir\.fcpgw\.example/;
const S12 = path.join(SOURCE_DIR, 'config', 'samples', 'siu-s12-fcp-booking.hl7');
const FIT_NOTE = path.join(SOURCE_DIR, 'mappings', 'golden', 'fitnotes', 'maybefit_four_ticks_tel.hl7');

// Runs fcpgw from the temporary directory (so nothing resolves against the source tree by
// accident), with FCPGW_MAPPINGS_DIR pointing at a directory that holds no mappings.
function site(args) {
  const r = spawnSync(BIN, args, {
    cwd: tmp.dir,
    timeout: 60_000,
    env: { ...process.env, FCPGW_MAPPINGS_DIR: tmp.dir },
  });
  if (r.error) throw r.error;
  assert.equal(r.signal, null, `killed by ${r.signal}`);
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

// Every identifier system in a Bundle.
function identifierSystems(bundle) {
  const out = [];
  const walk = (v, key) => {
    if (Array.isArray(v)) v.forEach((x) => walk(x, key));
    else if (v && typeof v === 'object') {
      if (key === 'identifier' && typeof v.system === 'string') out.push(v.system);
      for (const [k, x] of Object.entries(v)) walk(x, k);
    }
  };
  walk(bundle, '');
  return out;
}

function assertValid(bundle) {
  const problems = validateFhir(bundle).filter(isError);
  assert.deepEqual(problems, [], `validator errors:\n${problems.map((p) => `${p.validator} ${p.path}: ${p.message}`).join('\n')}`);
}

test('example-site.json: the booking sample uses the site id-base and stays valid FHIR', () => {
  const r = site(['translate', '--config', SITE, S12]);
  assert.equal(r.status, 0, r.stderr);
  const [bundle] = ndjson(r.stdout);
  const appointment = bundle.entry.map((e) => e.resource).find((x) => x.resourceType === 'Appointment');
  assert.ok(appointment, 'an Appointment');
  const local = appointment.identifier.map((i) => i.system);
  assert.ok(local.length > 0 && local.every((s) => s.startsWith(`${SITE_ID_BASE}A81001/`)), local.join(', '));
  assert.ok(identifierSystems(bundle).some((s) => s.startsWith(SITE_ID_BASE)));
  assert.doesNotMatch(r.stdout, DEFAULT_BASES);
  assertValid(bundle);

  // The same input without the configuration uses the defaults: the config made the difference.
  const plain = fcpgw(['translate', S12]);
  assert.equal(plain.status, 0, plain.stderr);
  assert.match(plain.stdout, /fcpgw\.example\.org\/Id\/A81001\//);
});

test('example-site.json: a fit note uses the site id-base and fit-note code-system base', () => {
  const r = site(['translate', '--config', SITE, FIT_NOTE]);
  assert.equal(r.status, 0, r.stderr);
  const [bundle] = ndjson(r.stdout);
  const composition = bundle.entry.map((e) => e.resource).find((x) => x.resourceType === 'Composition');
  assert.equal(composition.type.coding[0].system, `${SITE_CS_BASE}CodeSystem/fcp-document-type`);
  assert.ok(identifierSystems(bundle).some((s) => s === `${SITE_ID_BASE}B86012/fit-note`));
  assert.doesNotMatch(r.stdout, DEFAULT_BASES);
  assertValid(bundle);
});

test('example-site.json: validate runs with it; FHIR -> v2 uses the site sending application', () => {
  const v = site(['validate', '--config', SITE, S12]);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  const fhirIn = path.join(SOURCE_DIR, 'mappings', 'golden', 'fitnotes', 'fhir_notfit_gmt_single_condition.json');
  const t = site(['translate', '--config', SITE, '--lf', fhirIn]);
  assert.equal(t.status, 0, t.stderr);
  // MSH-3 is the site's sending application (MSH-4 comes from the resource's organisation).
  assert.match(t.stdout, /^MSH\|\^~\\&\|RIVERSIDE-FCP\|/);
  const plain = fcpgw(['translate', '--lf', fhirIn]);
  assert.equal(plain.status, 0, plain.stderr);
  assert.match(plain.stdout, /^MSH\|\^~\\&\|FCPGW\|/);
});

test('a bad configuration stops the run with one line naming the file and the key', () => {
  const bad = path.join(tmp.dir, 'site.json');
  fs.writeFileSync(bad, JSON.stringify({ mapings: {}, limits: { v2: { max_segments: 'lots' } } }));
  const r = site(['translate', '--config', bad, S12]);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.deepEqual(r.stderr.trim().split('\n'), [
    `fcpgw: ${bad}: mapings: unknown key (did you mean "mappings"?)`,
    `fcpgw: ${bad}: limits.v2.max_segments: expected a positive integer, got "lots"`,
  ]);
  const unknown = path.join(tmp.dir, 'constants.json');
  fs.writeFileSync(unknown, JSON.stringify({ mappings: { dir: path.join(SOURCE_DIR, 'mappings'), constants: { 'id-bse': 'x' } } }));
  const u = site(['translate', '--config', unknown, S12]);
  assert.equal(u.status, 2);
  assert.equal(u.stderr, `fcpgw: ${unknown}: mappings.constants.id-bse: no mapping declares this constant\n`);
});
