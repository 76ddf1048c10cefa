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
# Two runners side by side on the 2 cores: the end-to-end files (one at a time, each a browser and
# a portal) and the unit + integration files (one at a time). One after the other, the e2e phase
# waited for the integration phase (the suite took ~18 min; side by side ~12).
mkdir -p test-results
rm -f test-results/vitest-*.json test-results/ferretdb-*.log
rest_status=0
e2e_status=0
npx vitest run --project unit --project integration --maxWorkers=1 \
  --reporter=default --reporter=json --outputFile.json=test-results/vitest-rest.json "$@" \
  > test-results/unit-integration.log 2>&1 &
rest_pid=$!
npx vitest run --project e2e \
  --reporter=default --reporter=json --outputFile.json=test-results/vitest-e2e.json "$@" || e2e_status=$?
wait "$rest_pid" || rest_status=$?
echo "[test] unit and integration (run beside the end-to-end files; test-results/unit-integration.log)"
cat test-results/unit-integration.log
# One report and one plain summary line that any CI reader understands.
node -e '
  const fs = require("fs");
  const parts = ["rest", "e2e"].map((p) => `test-results/vitest-${p}.json`).filter((f) => fs.existsSync(f)).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
  const sum = (k) => parts.reduce((n, r) => n + (r[k] ?? 0), 0);
  const r = { ...parts[0], testResults: parts.flatMap((p) => p.testResults), success: parts.length === 2 && parts.every((p) => p.success) };
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
