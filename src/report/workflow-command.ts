/** GitHub Actions workflow commands (`::error file=…,line=…,col=…::message`), escaped as the runner expects. */

const escapeData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** One workflow command, its message and properties escaped. */
export function workflowCommand(level: 'error' | 'warning' | 'notice', message: string, at?: { file?: string; line?: number; col?: number; title?: string }): string {
  const props: string[] = [];
  if (at?.file !== undefined) props.push(`file=${escapeProperty(at.file)}`);
  if (at?.line !== undefined) props.push(`line=${at.line}`);
  if (at?.col !== undefined) props.push(`col=${at.col}`);
  if (at?.title !== undefined) props.push(`title=${escapeProperty(at.title)}`);
  return `::${level}${props.length > 0 ? ` ${props.join(',')}` : ''}::${escapeData(message)}\n`;
}
