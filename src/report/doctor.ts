import type { DoctorReport } from '../doctor/probes.js';

/** `reel doctor`'s table as plain lines: one block per assumption, differing rows marked. */
export function formatDoctor(report: DoctorReport, baseUrl: string): string {
  const width = Math.max(...report.rows.map((r) => r.id.length));
  const pad = ' '.repeat(width + 12);
  const lines = [`reel doctor: ${report.rows.length} checks against ${baseUrl} (${report.requests.length} requests, none billable)`, ''];
  for (const row of report.rows) {
    lines.push(`${row.holds ? 'holds  ' : 'DIFFERS'}   ${row.id.padEnd(width)}  ${row.assumption}`);
    lines.push(`${pad}HeyGen: ${row.answered}`);
    lines.push(`${pad}reel:   ${row.reel}`);
  }
  lines.push('');
  const differing = report.rows.filter((r) => !r.holds);
  lines.push(
    differing.length === 0
      ? "All of reel's assumptions hold for this account."
      : `${differing.length} of ${report.rows.length} differ: ${differing.map((r) => r.id).join(', ')}. The "reel" line says what reel does then; see docs/doctor.md.`,
  );
  return `${lines.join('\n')}\n`;
}
