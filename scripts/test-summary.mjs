// Prints the closing line `N passed, N failed[, N skipped]` from Vitest's JSON report.
// argv[3] is the number of failed checks outside Vitest (lint, type-check, perf gate): each counts as one failure.
import { existsSync, readFileSync } from 'node:fs';

const [, , reportPath = '.vitest-results.json', failedChecks = '0'] = process.argv;
let passed = 0;
let failed = Number(failedChecks) || 0;
let skipped = 0;
if (existsSync(reportPath)) {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  passed = report.numPassedTests;
  failed += report.numFailedTests;
  skipped = report.numPendingTests + report.numTodoTests;
  // A test file that failed to load has no tests in the counts; count it as a failure.
  failed += report.testResults.filter((file) => file.status === 'failed' && file.assertionResults.length === 0).length;
} else {
  failed += 1;
  console.error(`test-summary: ${reportPath} is missing: the test runner did not finish.`);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
