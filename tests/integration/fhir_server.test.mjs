// fcpgw's FHIR output against a real FHIR server (Medplum's FhirRouter over an in-memory store,
// tests/peers/fhir-server.mjs, on 127.0.0.1 port 0): a translated SIU^S12 Bundle is accepted as
// a transaction, posting it twice creates nothing new, and an S15 for the same appointment
// cancels that same Appointment.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { SOURCE_DIR, fcpgw, http, ndjson, startFhirServer } from './lib.mjs';

const SAMPLES = path.join(SOURCE_DIR, 'config', 'samples');
let server;

before(async () => {
  server = await startFhirServer();
});
after(async () => {
  if (server) await server.stop();
});

function translate(file) {
  const r = fcpgw(['translate', path.join(SAMPLES, file)]);
  assert.equal(r.status, 0, `fcpgw translate ${file}: exit ${r.status}\n${r.stderr}`);
  const docs = ndjson(r.stdout);
  assert.equal(docs.length, 1);
  return docs[0];
}

function withoutMeta(resource) {
  const { meta, ...rest } = resource; // eslint-disable-line no-unused-vars
  return rest;
}

// Every resource of the Bundle that carries identifiers, with the search that finds it.
function identifiedResources(bundle) {
  const out = [];
  for (const entry of bundle.entry || []) {
    const res = entry.resource;
    const id = (res && res.identifier || []).find((i) => i.system && i.value);
    if (id) out.push({ type: res.resourceType, query: `identifier=${encodeURIComponent(`${id.system}|${id.value}`)}` });
  }
  return out;
}

async function searchOne(type, query) {
  const r = await http('GET', `${server.base}/${type}?${query}`);
  assert.equal(r.status, 200, `search ${type}?${query}: ${JSON.stringify(r.body)}`);
  const found = (r.body.entry || []).map((e) => e.resource);
  assert.equal(found.length, 1, `exactly one ${type} with ${decodeURIComponent(query)}, found ${found.length}`);
  return found[0];
}

async function countAll(type) {
  const r = await http('GET', `${server.base}/${type}?_count=1000`);
  assert.equal(r.status, 200);
  return (r.body.entry || []).length;
}

async function postTransaction(bundle) {
  const r = await http('POST', `${server.base}/`, bundle);
  assert.equal(r.status, 200, `transaction rejected (${r.status}): ${JSON.stringify(r.body, null, 1)}`);
  assert.equal(r.body.type, 'transaction-response');
  for (const [i, e] of r.body.entry.entries()) {
    assert.match(e.response.status, /^2\d\d/, `entry ${i} status ${e.response.status}`);
  }
  return r.body;
}

test('booking, resend and cancellation against a real FHIR server', async (t) => {
  const booking = translate('siu-s12-fcp-booking.hl7');

  await t.test('the Bundle is a transaction whose writes are all idempotent', () => {
    assert.equal(booking.type, 'transaction');
    for (const [i, e] of booking.entry.entries()) {
      const { method, url, ifNoneExist } = e.request || {};
      const conditionalCreate = method === 'POST' && !!ifNoneExist;
      const update = method === 'PUT' && typeof url === 'string' && url.length > 0;
      assert.ok(conditionalCreate || update, `entry ${i} (${e.resource?.resourceType}): ${method} ${url} is not idempotent`);
    }
  });

  const identified = identifiedResources(booking);
  const types = [...new Set(identified.map((x) => x.type))];
  for (const needed of ['Appointment', 'Patient', 'Practitioner']) {
    assert.ok(types.includes(needed), `the Bundle has an identified ${needed}`);
  }

  const first = await postTransaction(booking);
  const firstStatuses = first.entry.map((e) => e.response.status);
  const snapshot = {};
  for (const { type, query } of identified) snapshot[`${type}?${query}`] = await searchOne(type, query);
  const countsBefore = {};
  for (const type of types) countsBefore[type] = await countAll(type);

  await t.test('posting the same Bundle again creates nothing and changes nothing', async () => {
    const second = await postTransaction(booking);
    // Nothing new was created on the resend (Medplum answers 200 for an update or a
    // conditional create that matched; 201 means a new resource).
    for (const [i, e] of second.entry.entries()) {
      assert.notEqual(e.response.status, '201', `entry ${i} created a new resource on resend (first time: ${firstStatuses[i]})`);
    }
    for (const { type, query } of identified) {
      const now = await searchOne(type, query);
      const was = snapshot[`${type}?${query}`];
      assert.equal(now.id, was.id, `${type} keeps its id`);
      // Medplum's MemoryRepository writes a new version even for an identical update, so
      // versionId may change; the content must not.
      assert.deepEqual(withoutMeta(now), withoutMeta(was), `${type} content unchanged by the resend`);
    }
    for (const type of types) assert.equal(await countAll(type), countsBefore[type], `no new ${type}`);
  });

  await t.test('an S15 for the same appointment cancels the same Appointment', async () => {
    const cancellation = translate('siu-s15-fcp-cancellation.hl7');
    await postTransaction(cancellation);
    const apptKey = Object.keys(snapshot).find((k) => k.startsWith('Appointment?'));
    const query = apptKey.slice('Appointment?'.length);
    const appt = await searchOne('Appointment', query);
    assert.equal(appt.id, snapshot[apptKey].id, 'same Appointment resource');
    assert.equal(appt.status, 'cancelled');
    for (const type of types) assert.equal(await countAll(type), countsBefore[type], `no new ${type}`);
  });
});

test('the server rejects an invalid Appointment (the peer really validates)', async () => {
  const r = await http('POST', `${server.base}/Appointment`, { resourceType: 'Appointment', status: 'not-a-status' });
  assert.equal(r.status, 400);
  assert.equal(r.body.resourceType, 'OperationOutcome');
});
