# Reads natsoak's report (GET $REPORT_URL, the verifier's /q/natsoak/report) and exits 1 when its
# verdict is FAIL, or when REQUIRE_FINAL=true and the verdict is not final yet. POSIX sh with wget,
# grep and sed only (busybox): the helm test pod runs it, and so does the chart's test suite.
set -u
report=$(wget -q -T 10 -O - "$REPORT_URL") || { echo "report-check: cannot read $REPORT_URL"; exit 1; }
echo "$report"
verdict=$(printf '%s' "$report" | sed -n 's/.*"verdict"[[:space:]]*:[[:space:]]*"\([A-Z]*\)".*/\1/p')
final=$(printf '%s' "$report" | sed -n 's/.*"final"[[:space:]]*:[[:space:]]*\([a-z]*\).*/\1/p')
case "$verdict" in
  PASS) ;;
  FAIL) echo "report-check: verdict FAIL (final: ${final:-unknown}); the reasons are in the report above"; exit 1 ;;
  *) echo "report-check: no verdict in the report"; exit 1 ;;
esac
if [ "${REQUIRE_FINAL:-false}" = "true" ] && [ "$final" != "true" ]; then
  echo "report-check: PASS so far, but the run is not over yet (tests.requireFinal is set)"
  exit 1
fi
if [ "$final" = "true" ]; then
  echo "report-check: final verdict PASS"
else
  echo "report-check: PASS so far; the run goes on (the verdict is final once the run is over)"
fi
