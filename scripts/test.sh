#!/usr/bin/env bash
# Quick start (b): install what is missing, then run every test: types, unit, integration
# (real FerretDB, mediasoup worker, ffmpeg) and end-to-end (Debian's Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MEDIASOUP_WORKER_BIN="${MEDIASOUP_WORKER_BIN:-/usr/lib/x86_64-linux-gnu/mediasoup/mediasoup-worker}"
echo "[test] type check"
npx tsc --noEmit -p tsconfig.json
npx svelte-check --tsconfig ./tsconfig.json --threshold error --output human
echo "[test] unit, integration, end-to-end"
# Two lanes side by side on the 2 cores, each one file at a time:
# - lane 1: the end-to-end files (each a browser and a portal), but for LATE_E2E;
# - lane 2: the unit + integration files, then LATE_E2E (end-to-end files that mostly wait on real
#   time: an offline kiosk, a throttled link).
# One after the other the suite took ~18 min; side by side ~16, with lane 1 running alone for its
# last ~4 min; moving those ~2 min of e2e to the end of lane 2 evens the lanes out.
LATE_E2E=(test/e2e/kiosk-offline.test.ts test/e2e/weak-link-player.test.ts)
# Files or names given (`npm test -- <filter>`): one plain e2e run with them in lane 1.
if [ "$#" -gt 0 ]; then LATE_E2E=(); fi
mkdir -p test-results
rm -f test-results/vitest-*.json test-results/ferretdb-*.log
rest_status=0
e2e_status=0
(
  status=0
  npx vitest run --project unit --project integration --maxWorkers=1 \
    --reporter=default --reporter=json --outputFile.json=test-results/vitest-rest.json "$@" || status=1
  if [ "${#LATE_E2E[@]}" -gt 0 ]; then
    # Lane 1 built the client at its start (test/helpers/global-setup.ts); this lane serves that build.
    echo "[test] end-to-end files of the second lane: ${LATE_E2E[*]}"
    E2E_SKIP_BUILD=1 npx vitest run --project e2e \
      --reporter=default --reporter=json --outputFile.json=test-results/vitest-e2e-late.json "${LATE_E2E[@]}" || status=1
  fi
  exit "$status"
) > test-results/unit-integration.log 2>&1 &
rest_pid=$!
late_excludes=()
for f in "${LATE_E2E[@]+"${LATE_E2E[@]}"}"; do late_excludes+=(--exclude "$f"); done
npx vitest run --project e2e "${late_excludes[@]+"${late_excludes[@]}"}" \
  --reporter=default --reporter=json --outputFile.json=test-results/vitest-e2e.json "$@" || e2e_status=$?
wait "$rest_pid" || rest_status=$?
echo "[test] unit and integration, then the second lane's e2e (run beside the end-to-end files; test-results/unit-integration.log)"
cat test-results/unit-integration.log
# One report and one plain summary line that any CI reader understands.
PARTS_EXPECTED=$(( ${#LATE_E2E[@]} > 0 ? 3 : 2 )) node -e '
  const fs = require("fs");
  const parts = ["rest", "e2e", "e2e-late"].map((p) => `test-results/vitest-${p}.json`).filter((f) => fs.existsSync(f)).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
  const sum = (k) => parts.reduce((n, r) => n + (r[k] ?? 0), 0);
  const r = { ...parts[0], testResults: parts.flatMap((p) => p.testResults), success: parts.length === Number(process.env.PARTS_EXPECTED) && parts.every((p) => p.success) };
  for (const k of Object.keys(parts[0] ?? {})) if (typeof parts[0][k] === "number" && k !== "startTime") r[k] = sum(k);
  fs.writeFileSync("test-results/vitest.json", JSON.stringify(r));
  // The failures last, where a reader of the tail of the output sees them (the e2e output is
  // printed before the unit + integration log).
  for (const file of r.testResults) {
    const failed = (file.assertionResults ?? []).filter((a) => a.status === "failed");
    if (file.status === "failed" && failed.length === 0) console.log(`FAILED ${file.name}\n  ${String(file.message ?? "").slice(0, 1500)}`);
    for (const a of failed) console.log(`FAILED ${file.name} > ${a.fullName}\n  ${(a.failureMessages ?? []).join("\n").slice(0, 1500)}`);
  }
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || true
# The shared test store is restarted if it dies (test/helpers/global-setup.ts); say so at the end.
for f in test-results/ferretdb-*.log; do
  if [ -f "$f" ]; then echo "[test] the test store stopped during the run ($f):"; cat "$f"; fi
done
if [ "$rest_status" -ne 0 ] || [ "$e2e_status" -ne 0 ]; then exit 1; fi
