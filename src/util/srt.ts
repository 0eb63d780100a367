/**
 * SubRip subtitles: numbered cues, `hh:mm:ss,mmm --> hh:mm:ss,mmm` timings, one or more lines of
 * text, blank lines between cues. HeyGen's proofreads hand them out and take them back (API.md §2.19).
 */

const CUE = /^\d+\r?\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\r?\n\S.*/s;

/** The cues of an SRT text, or undefined when it is not one. */
export function srtCues(text: string): string[] | undefined {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (body === '') return undefined;
  const cues = body.split(/\r?\n(?:[ \t]*\r?\n)+/);
  return cues.every((c) => CUE.test(c)) ? cues : undefined;
}

export function isSrt(text: string): boolean {
  return srtCues(text) !== undefined;
}
