// mappings/schema.json, the JSON Schema that editors use for mapping files, shared files and
// code tables, judged by a third-party validator (ajv) and against the real loader (the fcpgw
// binary):
// - every shipped file is valid, and each mapping and shared file names the schema;
// - deliberately broken files are refused by the schema at the broken place AND by the loader;
// - every key the schema offers where the loader checks keys is one the loader knows, and a key
//   the schema does not offer is refused by both, at every such place of the schema.
// (The schema's closed sets, transforms, `valid` checks and resource types, are compared with
// the loader's catalogues by tests/unit/mappings/schema_test.cc.)
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { PEERS_DIR, SOURCE_DIR, fcpgw, tempDir } from './lib.mjs';

const Ajv = createRequire(path.join(PEERS_DIR, 'package.json'))('ajv');
const MAPPINGS = path.join(SOURCE_DIR, 'mappings');
const SCHEMA_FILE = path.join(MAPPINGS, 'schema.json');
const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'));
// extendRefs: descriptions stand next to "$ref" so that editors show them on hover.
const ajv = new Ajv({ allErrors: true, jsonPointers: true, extendRefs: true });
const validate = ajv.compile(schema);
const SAMPLE = path.join(SOURCE_DIR, 'config', 'samples', 'siu-s12-fcp-booking.hl7');

const DATA_DIRS = ['v2-to-fhir', 'fhir-to-v2', 'tables'];
const shipped = [...DATA_DIRS, 'v2-to-fhir/shared', 'fhir-to-v2/shared'].flatMap((d) =>
  fs.readdirSync(path.join(MAPPINGS, d)).filter((f) => f.endsWith('.json')).map((f) => `${d}/${f}`));
const read = (name) => JSON.parse(fs.readFileSync(path.join(MAPPINGS, name), 'utf8'));

// A copy of the mapping data, in which one file at a time is replaced and the loader run.
const tmp = tempDir();
after(() => tmp.cleanup());
const COPY = path.join(tmp.dir, 'mappings');
for (const d of DATA_DIRS) fs.cpSync(path.join(MAPPINGS, d), path.join(COPY, d), { recursive: true });

/** Loads the copy with `name` replaced by `doc`; returns the loader's error lines. */
function loaderErrors(name, doc) {
  const file = path.join(COPY, name);
  const original = fs.readFileSync(file);
  fs.writeFileSync(file, JSON.stringify(doc, null, 2));
  try {
    const r = fcpgw(['translate', '--mappings', COPY, '--quiet', SAMPLE]);
    if (r.status === 0) return [];
    assert.equal(r.status, 2, r.stderr);
    return r.stderr.split('\n').filter((l) => l.startsWith('fcpgw: mapping error: '));
  } finally {
    fs.writeFileSync(file, original);
  }
}

const schemaErrors = (doc) => (validate(doc) ? [] : validate.errors);
const show = (errors) => errors.map((e) => `${e.dataPath} ${e.keyword} ${e.message}`).join('\n');

/** JSON pointer of the first object under `doc` (depth first, in order) for which `pred` holds. */
function find(doc, pred, at = '') {
  if (doc !== null && typeof doc === 'object') {
    if (!Array.isArray(doc) && pred(doc, at)) return at;
    for (const [k, v] of Object.entries(doc)) {
      const p = find(v, pred, `${at}/${k}`);
      if (p !== undefined) return p;
    }
  }
  return undefined;
}
const get = (doc, pointer) => pointer.split('/').slice(1).reduce((v, k) => v[k], doc);
/** The object at the first place matching `re` (a pointer pattern) that has every key of `keys`. */
function host(doc, re, keys = [], also = () => true) {
  const p = find(doc, (v, at) => re.test(at) && keys.every((k) => k in v) && also(v));
  assert.ok(p !== undefined, `no object at ${re} with ${keys.join(', ')}`);
  return { pointer: p, object: get(doc, p) };
}

test('the schema is a valid draft-07 schema', () => {
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.ok(ajv.validateSchema(schema), JSON.stringify(ajv.errors));
});

test('every property of the schema has a description, for editor hovers', () => {
    const missing = [];
  (function walk(node, at) {
    if (!node || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node.properties ?? {}))
      if (!v.description && !(v.$ref && get(schema, v.$ref.slice(1)).description)) missing.push(`${at}/properties/${k}`);
    for (const [k, v] of Object.entries(node)) if (k !== 'if') walk(v, `${at}/${k}`);
  })(schema, '');
  assert.deepEqual(missing, []);
  // Only annotations stand next to "$ref": draft-07 validators ignore anything else there.
  const beside = [];
  (function walk(node, at) {
    if (!node || typeof node !== 'object') return;
    if (node.$ref && Object.keys(node).some((k) => k !== '$ref' && k !== 'description')) beside.push(at);
    for (const [k, v] of Object.entries(node)) walk(v, `${at}/${k}`);
  })(schema, '');
  assert.deepEqual(beside, []);
});

test('every shipped mapping file, shared file and code table is valid, and mapping and shared files name the schema', () => {
  assert.ok(shipped.length >= 40 && shipped.some((f) => f.includes('/shared/')), `${shipped.length} files`);
  for (const name of shipped) {
    const doc = read(name);
    assert.deepEqual(schemaErrors(doc), [], `${name}:\n${show(validate.errors ?? [])}`);
    if (name.startsWith('tables/')) {
      // ConceptMaps stay plain FHIR: "$schema" is not an R4 element (editors use json.schemas).
      assert.equal(doc.$schema, undefined, name);
    } else {
      assert.equal(doc.$schema, name.includes('/shared/') ? '../../schema.json' : '../schema.json', name);
      assert.equal(path.resolve(path.dirname(path.join(MAPPINGS, name)), doc.$schema), SCHEMA_FILE);
    }
  }
  // ...and the loader takes them all (the copy is unchanged).
  assert.deepEqual(loaderErrors('v2-to-fhir/siu.json', read('v2-to-fhir/siu.json')), []);
});

// Each broken file: where it is broken, the schema keyword that must refuse it there, and what
// the loader says about it.
const RULE = /^\/resources\/\d+\/set\/\d+$/;
const FIELD = /^\/segments\/\d+\/set\/\d+$/;
const broken = [
  { name: 'unknown rule key', file: 'v2-to-fhir/siu.json',
    break: (d) => { const h = host(d, RULE, ['from']); h.object.frm = h.object.from; delete h.object.from; return h.pointer; },
    keyword: 'additionalProperties', loader: /unknown key 'frm'/ },
  { name: 'unknown transform', file: 'v2-to-fhir/siu.json',
    break: (d) => { const h = host(d, RULE, ['transform']); h.object.transform = 'dtm-instnt'; return `${h.pointer}/transform`; },
    keyword: 'enum', loader: /unknown transform 'dtm-instnt'/ },
  { name: 'transform of the other direction', file: 'fhir-to-v2/appointment.json',
    break: (d) => { const h = host(d, FIELD, ['transform']); h.object.transform = 'dtm-instant'; return `${h.pointer}/transform`; },
    keyword: 'enum', loader: /transform 'dtm-instant' is not available in this direction/ },
  { name: 'condition with a typo', file: 'v2-to-fhir/siu.json',
    break: (d) => { const h = host(d, /\/when$/, ['present']); h.object.presnt = h.object.present; delete h.object.present; return h.pointer; },
    keyword: 'additionalProperties', loader: /unknown condition 'presnt'/ },
  { name: 'FHIR -> v2 condition in a v2 -> FHIR file', file: 'v2-to-fhir/ref.json',
    break: (d) => { const h = host(d, RULE, ['from']); h.object.when = { previous: 'present' }; return `${h.pointer}/when`; },
    keyword: 'additionalProperties', loader: /unknown condition 'previous'/ },
  { name: 'unknown valid check', file: 'v2-to-fhir/siu.json',
    break: (d) => { const h = host(d, /./, ['valid']); h.object.valid[1] = 'nhs-numbr'; return `${h.pointer}/valid/1`; },
    keyword: 'enum', loader: /unknown check 'nhs-numbr'/ },
  { name: 'wrong type', file: 'v2-to-fhir/siu.json',
    break: (d) => { d.accepts = d.accepts[0]; return '/accepts'; },
    keyword: 'type', loader: /accepts: a non-empty array/ },
  { name: 'missing path', file: 'v2-to-fhir/siu.json',
    break: (d) => { const h = host(d, RULE, ['path', 'from']); delete h.object.path; return h.pointer; },
    keyword: 'required', loader: /rule needs a "path"/ },
  { name: 'missing field', file: 'fhir-to-v2/appointment.json',
    break: (d) => { const h = host(d, FIELD, ['field']); delete h.object.field; return h.pointer; },
    keyword: 'required', loader: /field rule needs "field"/ },
  { name: 'two kinds in one rule', file: 'v2-to-fhir/siu.json',
    break: (d) => { const h = host(d, RULE, ['from']); h.object.value = 'x'; return h.pointer; },
    keyword: 'oneOf', loader: /a rule has exactly one of/ },
  { name: 'bad v2 path', file: 'v2-to-fhir/siu.json',
    break: (d) => { const h = host(d, RULE, ['from'], (v) => typeof v.from === 'string'); h.object.from = 'PID3'; return `${h.pointer}/from`; },
    keyword: 'pattern', loader: /bad v2 path 'PID3'/ },
  { name: 'unknown request kind', file: 'v2-to-fhir/siu.json',
    break: (d) => { d.resources[0].request = 'upsert'; return '/resources/0/request'; },
    keyword: 'enum', loader: /request: expected "update"/ },
  { name: 'unknown Bundle type', file: 'v2-to-fhir/mdm.json',
    break: (d) => { d.bundle = { ...d.bundle, type: 'transactions' }; return '/bundle/type'; },
    keyword: 'enum', loader: /bundle\.type: must be/ },
  { name: 'skip without after', file: 'v2-to-fhir/siu.json',
    break: (d) => { const h = host(d, /\/each$/, ['after', 'skip']); delete h.object.after; return h.pointer; },
    keyword: 'dependencies', loader: /unknown key 'skip'/ },
  { name: 'unknown direction', file: 'v2-to-fhir/rri.json',
    break: (d) => { d.direction = 'v2-fhir'; return '/direction'; },
    keyword: 'enum', loader: /direction: must be/ },
  { name: 'unknown resource type', file: 'v2-to-fhir/siu.json',
    break: (d) => { d.resources[0].resourceType = 'Appointement'; return '/resources/0/resourceType'; },
    keyword: 'enum', loader: /unknown resourceType 'Appointement'/ },
  { name: 'use with a typo', file: 'v2-to-fhir/siu.json',
    break: (d) => { const h = host(d, /^\/resources\/\d+$/, ['use', 'with']); h.object.wiht = h.object.with; delete h.object.with; return h.pointer; },
    keyword: 'additionalProperties', loader: /needs parameter '[^']+' in "with"/ },
  { name: 'use replacing the piece\'s rules', file: 'fhir-to-v2/appointment.json',
    break: (d) => { const h = host(d, /^\/segments\/\d+$/, ['use']); h.object.set = []; return h.pointer; },
    keyword: 'additionalProperties', loader: /add rules with "add", not "set"/ },
  { name: 'piece with a typo', file: 'v2-to-fhir/shared/patient.json',
    break: (d) => { const h = host(d, /^\/pieces\/[^/]+$/, ['resource']); h.object.resorce = h.object.resource; delete h.object.resource; return h.pointer; },
    keyword: 'additionalProperties', loader: /unknown key 'resorce' \(a piece has/ },
  { name: 'keys of the other direction', file: 'v2-to-fhir/siu.json',
    break: (d) => { d.segments = []; return ''; },
    keyword: 'additionalProperties', loader: /v2-to-fhir\/siu\.json: unknown key 'segments'/ },
  { name: 'a code table on a rule without from', file: 'v2-to-fhir/siu.json',
    break: (d) => { const h = host(d, RULE, ['value'], (v) => !('from' in v)); h.object.map = 'v2-0001-to-administrative-gender'; return h.pointer; },
    keyword: 'dependencies', loader: /'map' acts on the value of "from", which this rule does not have/ },
  { name: 'a ConceptMap member that is not an R4 element', file: 'tables/v2-0001-to-administrative-gender.json',
    break: (d) => { const t = d.group[0].element[0].target[0]; t.equivalance = t.equivalence; delete t.equivalence; return '/group/0/element/0/target/0'; },
    keyword: 'additionalProperties', loader: /group\[0\]\.element\[0\]\.target\[0\]: unknown key 'equivalance' \(did you mean 'equivalence'\?\)/ },
  { name: 'code table element without code', file: 'tables/v2-0001-to-administrative-gender.json',
    break: (d) => { delete d.group[0].element[0].code; return '/group/0/element/0'; },
    keyword: 'required', loader: /group\[0\]\.element\[0\]: element has no code/ },
  { name: 'code table target without code', file: 'tables/v2-0001-to-administrative-gender.json',
    break: (d) => { delete d.group[0].element[0].target[0].code; return '/group/0/element/0/target/0'; },
    keyword: 'required', loader: /target has no code/ },
  { name: 'code table entry depending on something other than the sending facility', file: 'tables/v2-0001-to-administrative-gender.json',
    break: (d) => { d.group[0].element[0].target[0].dependsOn = [{ property: 'PV1-2', value: 'O' }]; return '/group/0/element/0/target/0/dependsOn/0/property'; },
    keyword: 'const', loader: /target\[0\]\.dependsOn\[0\]: dependsOn: only \{"property": "MSH-4"/ },
];

for (const c of broken) {
  test(`refused by the schema and the loader: ${c.name}`, () => {
    const doc = read(c.file);
    assert.deepEqual(schemaErrors(doc), [], 'the unbroken file is valid');
    const at = c.break(doc);
    const errors = schemaErrors(doc);
    assert.ok(errors.some((e) => e.dataPath === at && e.keyword === c.keyword),
      `expected ${c.keyword} at ${at}, got:\n${show(errors)}`);
    const lines = loaderErrors(c.file, doc);
    assert.ok(lines.some((l) => c.loader.test(l)), `loader: ${lines.join('\n')}`);
  });
}

// Every place where the schema closes an object (additionalProperties: false): a host object at
// such a place in a shipped file, or why the loader checks no keys there.
const probes = {
  '/definitions/v2ToFhirFile': { file: 'v2-to-fhir/siu.json', at: (d) => host(d, /^$/) },
  '/definitions/fhirToV2File': { file: 'fhir-to-v2/appointment.json', at: (d) => host(d, /^$/) },
  '/definitions/bundle': { file: 'v2-to-fhir/ref.json', at: (d) => host(d, /^\/bundle$/) },
  '/definitions/resourceBlock': { file: 'v2-to-fhir/siu.json', at: (d) => host(d, /^\/resources\/\d+$/, ['key']) },
  '/definitions/resourceBlock/properties/each': { file: 'v2-to-fhir/siu.json',
    at: (d) => { const h = host(d, /^\/resources\/\d+$/, ['each', 'key']); h.object.each = { segment: h.object.each }; return { pointer: `${h.pointer}/each`, object: h.object.each }; } },
  '/definitions/identity': { file: 'v2-to-fhir/siu.json', at: (d) => host(d, /^\/resources\/\d+\/identity\/\d+$/) },
  '/definitions/v2Reject': { file: 'v2-to-fhir/siu.json', at: (d) => host(d, /^\/reject\/\d+$/) },
  '/definitions/v2Rule': { file: 'v2-to-fhir/siu.json', at: (d) => host(d, RULE) },
  '/definitions/v2Case': { file: 'v2-to-fhir/mdm.json', at: (d) => host(d, /\/choose\/\d+$/) },
  '/definitions/v2Each': { file: 'v2-to-fhir/siu.json', at: (d) => host(d, /\/each$/, ['after']) },
  '/definitions/v2ElseFrom': { file: 'v2-to-fhir/siu.json',
    at: (d) => { const h = host(d, RULE, ['from']); h.object.else = { from: h.object.from }; return { pointer: `${h.pointer}/else`, object: h.object.else }; } },
  '/definitions/laterBy': { file: 'fhir-to-v2/fitnote.json', at: (d) => host(d, /\/later\/2$/) },
  '/definitions/fhirToV2File/properties/message': { file: 'fhir-to-v2/appointment.json', at: (d) => host(d, /^\/message$/) },
  '/definitions/eventRule': { file: 'fhir-to-v2/appointment.json', at: (d) => host(d, /^\/event\/\d+$/) },
  '/definitions/fhirReject': { file: 'fhir-to-v2/appointment.json', at: (d) => host(d, /^\/reject\/\d+$/) },
  '/definitions/segmentRule': { file: 'fhir-to-v2/appointment.json', at: (d) => host(d, /^\/segments\/\d+$/) },
  '/definitions/fieldRule': { file: 'fhir-to-v2/appointment.json', at: (d) => host(d, FIELD) },
  '/definitions/fhirElse/then': { file: 'fhir-to-v2/appointment.json',
    at: (d) => { const h = host(d, FIELD, ['from']); h.object.else = { from: h.object.from }; return { pointer: `${h.pointer}/else`, object: h.object.else }; } },
  '/definitions/v2SharedFile': { file: 'v2-to-fhir/shared/patient.json', at: (d) => host(d, /^$/) },
  '/definitions/fhirSharedFile': { file: 'fhir-to-v2/shared/patient.json', at: (d) => host(d, /^$/) },
  '/definitions/v2Piece': { file: 'v2-to-fhir/shared/patient.json', at: (d) => host(d, /^\/pieces\/[^/]+$/) },
  '/definitions/fhirPiece': { file: 'fhir-to-v2/shared/patient.json', at: (d) => host(d, /^\/pieces\/[^/]+$/) },
  '/definitions/itemsUse': { file: 'v2-to-fhir/mdm-fitnote.json', at: (d) => host(d, /\/set\/\d+$/, ['use']) },
  '/definitions/resourceUse': { file: 'v2-to-fhir/siu.json', at: (d) => host(d, /^\/resources\/\d+$/, ['use', 'with']) },
  '/definitions/segmentUse': { file: 'fhir-to-v2/appointment.json', at: (d) => host(d, /^\/segments\/\d+$/, ['use', 'with']) },
  '/definitions/fhirEach': { file: 'fhir-to-v2/shared/document.json', at: (d) => host(d, /\/each$/, ['lines']) },
  '/definitions/conceptMap': { file: 'tables/v2-0001-to-administrative-gender.json', at: (d) => host(d, /^$/) },
  '/definitions/conceptMapGroup': { file: 'tables/v2-0001-to-administrative-gender.json', at: (d) => host(d, /^\/group\/\d+$/) },
  '/definitions/conceptMapElement': { file: 'tables/v2-0001-to-administrative-gender.json', at: (d) => host(d, /^\/group\/\d+\/element\/\d+$/) },
  '/definitions/conceptMapTarget': { file: 'tables/v2-0001-to-administrative-gender.json', at: (d) => host(d, /^\/group\/\d+\/element\/\d+\/target\/\d+$/) },
};
const exempt = {
  '/definitions/v2Condition': 'a condition has one key: see the conditions test below',
  '/definitions/fhirCondition': 'a condition has one key: see the conditions test below',
  '/definitions/v2Else/then/then': 'by-event is the only key; the loader refuses any other with its own message',
  '/definitions/v2ToFhirArgs': 'argument names are checked per transform; schema_test.cc compares them with the catalogue',
  '/definitions/fhirToV2Args': 'argument names are checked per transform; schema_test.cc compares them with the catalogue',
  '/definitions/conceptMapTarget/properties/dependsOn/items': 'R4 ConceptMap elements: the loader reads property (MSH-4 only, see the broken files above) and value, and ignores the rest',
};

function closedObjects(node, at = '', out = []) {
  if (node && typeof node === 'object') {
    if (!Array.isArray(node) && node.additionalProperties === false) out.push(at);
    for (const [k, v] of Object.entries(node)) closedObjects(v, `${at}/${k}`, out);
  }
  return out;
}

test('every closed object of the schema is probed against the loader (or says why not)', () => {
  const closed = closedObjects(schema).sort();
  assert.deepEqual(closed, [...Object.keys(probes), ...Object.keys(exempt)].sort());
});

for (const [where, probe] of Object.entries(probes)) {
  test(`keys agree with the loader at ${where}`, () => {
    const keys = Object.keys(get(schema, where).properties);
    const doc = read(probe.file);
    const { pointer, object } = probe.at(doc);
    // Every key the schema offers, then one it does not.
    for (const k of keys) if (!(k in object)) object[k] = null;
    object['zz-probe'] = null;
    const errors = schemaErrors(doc);
    assert.ok(errors.some((e) => e.dataPath === pointer && e.keyword === 'additionalProperties' &&
      e.params.additionalProperty === 'zz-probe'), `schema at ${pointer}:\n${show(errors)}`);
    const unknown = loaderErrors(probe.file, doc).filter((l) => /unknown key/.test(l));
    // (A piece is reported once per use.)
    assert.ok(unknown.length >= 1 && unknown.every((l) => /unknown key 'zz-probe'/.test(l)),
      `only the probe key is unknown to the loader:\n${unknown.join('\n')}`);
  });
}

test('condition kinds agree with the loader in both directions', () => {
  for (const [file, def] of [['v2-to-fhir/siu.json', 'v2Condition'], ['fhir-to-v2/appointment.json', 'fhirCondition']]) {
    const kinds = Object.keys(schema.definitions[def].properties);
    assert.ok(kinds.length >= 11, def);
    // Named conditions are all checked, used or not: one per kind, then an unknown kind.
    const doc = read(file);
    doc.conditions ??= {};
    for (const k of kinds) doc.conditions[`zz-${k}`] = { [k]: null };
    doc.conditions['zz-probe'] = { 'zz-probe': null };
    const lines = loaderErrors(file, doc);
    assert.deepEqual(lines.filter((l) => /unknown condition/.test(l)).map((l) => l.replace(/^.*: /, '')),
      ["unknown condition 'zz-probe'"], `${file}:\n${lines.join('\n')}`);
    const errors = schemaErrors(doc);
    assert.ok(errors.some((e) => e.dataPath === '/conditions/zz-probe' && e.keyword === 'additionalProperties'), show(errors));
  }
});
