// The files the emulator serves are real enough for a client's checks, and its pure helpers behave.
import { describe, expect, it } from 'vitest';
import { GIF, JPEG, PNG, mp4, sniff, srt } from '../../src/emulator/media.js';
import { mulberry32 } from '../../src/emulator/faults.js';
import { paramOf, toJsonSchema } from '../../src/emulator/schemas.js';
import { agentDuration, sessionTitle, speechSeconds } from '../../src/emulator/videos.js';

/** Top-level MP4 boxes as [type, size]; throws when the sizes do not tile the file exactly. */
function boxes(file: Buffer): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  let offset = 0;
  while (offset < file.length) {
    const size = file.readUInt32BE(offset);
    if (size < 8 || offset + size > file.length) throw new Error(`bad box size ${size} at ${offset}`);
    out.push([file.subarray(offset + 4, offset + 8).toString('latin1'), size]);
    offset += size;
  }
  return out;
}

describe('media', () => {
  it('makes a fragmented MP4 whose boxes tile the file: init segment, per-video free box, one fragment a second', () => {
    const file = mp4('video-1', 31.28);
    const types = boxes(file).map(([type]) => type);
    expect(types.slice(0, 3)).toEqual(['ftyp', 'free', 'moov']);
    const fragments = types.slice(3);
    // 1.024 s fragments (moof + mdat): 31 of them cover 31.28 s, the last one cut to fit.
    expect(fragments).toEqual(Array.from({ length: 31 }, () => ['moof', 'mdat']).flat());
    // mvex/mehd declares the duration asked for, in the movie's timescale (mvhd).
    const mvhd = file.indexOf('mvhd');
    const timescale = file.readUInt32BE(mvhd + 4 + 12);
    const mehd = file.indexOf('mehd');
    expect(file.readUInt32BE(mehd + 8) / timescale).toBeCloseTo(31.28, 2);
    // Decode times move on fragment by fragment: both tracks (timescale 16000) start fragment n at n × 16384.
    const tfdts: number[] = [];
    for (let at = file.indexOf('tfdt'); at >= 0; at = file.indexOf('tfdt', at + 4)) {
      tfdts.push(file[at + 4] === 1 ? Number(file.readBigUInt64BE(at + 8)) : file.readUInt32BE(at + 8));
    }
    expect(tfdts).toEqual(Array.from({ length: 31 }, (_, n) => [n * 16384, n * 16384]).flat());
    // Same seed, same bytes; another seed, other bytes; longer videos are bigger.
    expect(mp4('video-1', 31.28).equals(file)).toBe(true);
    expect(mp4('video-2', 31.28).equals(file)).toBe(false);
    expect(mp4('long', 600).length).toBeGreaterThan(mp4('short', 5).length);
    expect(boxes(mp4('tiny', 0.1)).map(([type]) => type)).toEqual(['ftyp', 'free', 'moov', 'moof', 'mdat']);
  });

  it('recognises the formats HeyGen accepts, and nothing else', () => {
    expect(sniff(mp4('x', 1))).toBe('video/mp4');
    expect(sniff(JPEG)).toBe('image/jpeg');
    expect(sniff(PNG)).toBe('image/png');
    expect(sniff(Buffer.from('%PDF-1.7\n'))).toBe('application/pdf');
    expect(sniff(Buffer.from('RIFF\0\0\0\0WAVEfmt '))).toBe('audio/wav');
    expect(sniff(Buffer.from('ID3\x04\0\0\0'))).toBe('audio/mpeg');
    expect(sniff(Buffer.from(srt('hello there', 2)))).toBe('application/x-subrip');
    expect(sniff(GIF)).toBeNull();
    expect(sniff(Buffer.from('plain text'))).toBeNull();
  });

  it('writes SRT cues of about eight words that cover the whole duration', () => {
    const text = Array.from({ length: 20 }, (_, i) => `w${i}`).join(' ');
    expect(srt(text, 9)).toBe(
      '1\n00:00:00,000 --> 00:00:03,000\nw0 w1 w2 w3 w4 w5 w6 w7\n\n' + '2\n00:00:03,000 --> 00:00:06,000\nw8 w9 w10 w11 w12 w13 w14 w15\n\n' + '3\n00:00:06,000 --> 00:00:09,000\nw16 w17 w18 w19\n',
    );
  });
});

describe('helpers', () => {
  it('derives durations from scripts and prompts', () => {
    expect(speechSeconds('one two three', 1)).toBe(1.2);
    expect(speechSeconds('word '.repeat(150), 1)).toBe(60);
    expect(speechSeconds('word '.repeat(150), 1.5)).toBe(40);
    expect(speechSeconds('hi', 1)).toBe(1);
    expect(agentDuration('a 45-second explainer')).toBe(45);
    expect(agentDuration('a 2 minute overview')).toBe(120);
    expect(agentDuration('something nice')).toBe(60);
    expect(sessionTitle('make a teaser for our CLI. More text [emulator:ask]')).toBe('Make a teaser for our CLI');
  });

  it('names params like HeyGen and rewrites OpenAPI nullable/discriminators', () => {
    expect(paramOf('/voice_settings/speed')).toBe('voice_settings.speed');
    expect(paramOf('/files/0', 'url')).toBe('files[0].url');
    expect(toJsonSchema({ type: 'string', enum: ['a'], nullable: true })).toEqual({ type: ['string', 'null'], enum: ['a', null] });
    const union = toJsonSchema({
      discriminator: { propertyName: 'type', mapping: {} },
      'x-discriminator-values': ['a', 'b'],
      oneOf: [{ properties: { type: { type: 'string' } } }, { properties: { type: { type: 'string' }, x: { type: 'number' } } }],
    }) as { oneOf: Array<{ properties: { type: { const: string } } }> };
    expect(union.oneOf.map((b) => b.properties.type.const)).toEqual(['a', 'b']);
  });

  it('draws the same fault sequence from the same seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const seq = (r: () => number) => Array.from({ length: 5 }, r);
    const first = seq(a);
    expect(seq(b)).toEqual(first);
    expect(seq(c)).not.toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
