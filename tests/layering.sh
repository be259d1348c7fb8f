#!/usr/bin/env bash
# The dependency arrows of DESIGN.md, checked on the sources: each room includes only the rooms
# below it. Exits 1 naming every file that includes across an arrow.
set -u
cd "$(dirname "$0")/.."
status=0
check() {  # check <what> <dirs> <forbidden include regex>
  local what=$1 dirs=$2 pattern=$3 hits
  hits=$(grep -rlE "#include *[<\"]($pattern)" $dirs 2>/dev/null)
  if [ -n "$hits" ]; then
    echo "layering: $what:"; echo "$hits" | sed 's/^/  /'; status=1
  fi
}
check "the journal stores bytes and metadata (no fhir/, mappings/, hl7v2/, service/)" \
  gateway/journal 'fhir/|mappings/|hl7v2/|gateway/(service|mllp|http|delivery|admin|cli|app)/'
check "config sits below everything (no fhir/, mappings/, hl7v2/ in its headers)" \
  "gateway/config/*.h" 'fhir/|mappings/|hl7v2/'
check "common and observability use only std" "gateway/common gateway/observability" \
  'fhir/|mappings/|hl7v2/|gateway/(config|service|journal|mllp|http|cli|app)/'
check "service does not know listeners, journal or app" gateway/service \
  'gateway/(journal|mllp|http|delivery|admin|cli|app)/|boost/asio|boost/beast|sqlite3'
check "listeners do not know the journal, delivery or app" "gateway/mllp gateway/http" \
  'gateway/(journal|delivery|admin|app|cli)/|sqlite3'
check "delivery knows no listener server, CLI or app" gateway/delivery \
  'gateway/(http|admin|cli|app)/|gateway/mllp/(server|session)'
check "admin operations know only the journal (and base's std-only facts)" gateway/admin \
  'fhir/|mappings/|hl7v2/[^b]|hl7v2/b[^a]|gateway/(service|mllp|http|delivery|cli|app|config)/'
check "base holds facts below both formats: the standard library only" hl7v2/base \
  'fhir/|mappings/|gateway/|hl7v2/[^b]|hl7v2/b[^a]|boost/|rapidjson/'
check "parsers and mappings do no I/O" "hl7v2 fhir mappings" 'boost/(asio|beast)|openssl/|sqlite3\.h|gateway/'
[ "$status" -eq 0 ] && echo "layering: ok"
exit "$status"
