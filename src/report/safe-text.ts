/**
 * Text reel shows that it did not write itself (manifest values, HeyGen's messages, the agent's
 * storyboard) must not be able to fake output: in GitHub Actions a line starting with `::` is a
 * workflow command (`::error::`, `::add-mask::` …), so a newline in a manifest string could inject one.
 */

/** One line: control characters (newlines included) shown as escapes, e.g. `\n`. */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f\u0085\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** Several lines, none of which can be read as a workflow command (`::` at its start is split). */
export function noCommands(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/^(\s*):(?=:)/gm, '$1:\u200b');
}
