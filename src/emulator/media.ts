/**
 * The files behind `video_url`, `thumbnail_url`, `gif_url` and `subtitle_url`. They are small but
 * real, so a client's download, length check and sniffing code runs as it would against HeyGen.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length, 0);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, body]);
}

function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

/** A top-level or nested MP4 box: its type and where its bytes are in the file. */
interface Box {
  type: string;
  start: number;
  end: number;
}

/** The boxes laid end to end in `file[from, to)`; throws when their sizes do not tile it. */
export function readBoxes(file: Buffer, from = 0, to = file.length): Box[] {
  const out: Box[] = [];
  let offset = from;
  while (offset < to) {
    const size = file.readUInt32BE(offset);
    if (size < 8 || offset + size > to) throw new Error(`bad MP4 box size ${size} at ${offset}`);
    out.push({ type: file.toString('latin1', offset + 4, offset + 8), start: offset, end: offset + size });
    offset += size;
  }
  return out;
}

function child(file: Buffer, parent: Box, type: string, headerExtra = 0): Box | undefined {
  return readBoxes(file, parent.start + 8 + headerExtra, parent.end).find((b) => b.type === type);
}

/**
 * The playable clip shipped in `assets/emulator/clip.mp4`: a fragmented MP4 (H.264 + AAC, made once
 * with ffmpeg, see assets/emulator/README.md) of an init segment and one fragment of about a second.
 */
interface Clip {
  ftyp: Buffer;
  moov: Buffer;
  fragment: Buffer;
  /** Per track id: the fragment's duration in the track's timescale, and the track's timescale. */
  tracks: Map<number, { duration: number; timescale: number }>;
  /** Seconds one fragment lasts (the longest of its tracks). */
  seconds: number;
}

let clip: Clip | undefined;

function loadClip(): Clip {
  if (clip) return clip;
  const file = readFileSync(new URL('../../assets/emulator/clip.mp4', import.meta.url));
  const top = readBoxes(file);
  const get = (type: string): Box => {
    const b = top.find((x) => x.type === type);
    if (!b) throw new Error(`assets/emulator/clip.mp4 has no ${type} box`);
    return b;
  };
  const moov = get('moov');
  const moof = get('moof');
  const mdat = get('mdat');
  const timescales = new Map<number, number>();
  for (const trak of readBoxes(file, moov.start + 8, moov.end).filter((b) => b.type === 'trak')) {
    const tkhd = child(file, trak, 'tkhd')!;
    const trackId = file.readUInt32BE(tkhd.start + 8 + 4 + (file[tkhd.start + 8] === 1 ? 16 : 8));
    const mdia = child(file, trak, 'mdia')!;
    const mdhd = child(file, mdia, 'mdhd')!;
    timescales.set(trackId, file.readUInt32BE(mdhd.start + 8 + 4 + (file[mdhd.start + 8] === 1 ? 16 : 8)));
  }
  const tracks = new Map<number, { duration: number; timescale: number }>();
  let seconds = 0;
  for (const traf of readBoxes(file, moof.start + 8, moof.end).filter((b) => b.type === 'traf')) {
    const { trackId, duration } = fragmentDuration(file, traf);
    const timescale = timescales.get(trackId) ?? 1000;
    tracks.set(trackId, { duration, timescale });
    seconds = Math.max(seconds, duration / timescale);
  }
  clip = {
    ftyp: file.subarray(get('ftyp').start, get('ftyp').end),
    moov: file.subarray(moov.start, moov.end),
    fragment: file.subarray(moof.start, mdat.end),
    tracks,
    seconds,
  };
  return clip;
}

/** A traf's track id and the sum of its samples' durations (trun, else tfhd's default). */
function fragmentDuration(file: Buffer, traf: Box): { trackId: number; duration: number } {
  const tfhd = child(file, traf, 'tfhd')!;
  const tfhdFlags = file.readUInt32BE(tfhd.start + 8) & 0xffffff;
  const trackId = file.readUInt32BE(tfhd.start + 12);
  let at = tfhd.start + 16;
  if (tfhdFlags & 0x01) at += 8; // base_data_offset
  if (tfhdFlags & 0x02) at += 4; // sample_description_index
  const defaultDuration = tfhdFlags & 0x08 ? file.readUInt32BE(at) : 0;
  let duration = 0;
  for (const trun of readBoxes(file, traf.start + 8, traf.end).filter((b) => b.type === 'trun')) {
    const flags = file.readUInt32BE(trun.start + 8) & 0xffffff;
    const count = file.readUInt32BE(trun.start + 12);
    let p = trun.start + 16;
    if (flags & 0x01) p += 4; // data_offset
    if (flags & 0x04) p += 4; // first_sample_flags
    const perSample = [0x100, 0x200, 0x400, 0x800].filter((bit) => flags & bit).length * 4;
    for (let i = 0; i < count; i += 1) {
      duration += flags & 0x100 ? file.readUInt32BE(p) : defaultDuration;
      p += perSample;
    }
  }
  return { trackId, duration };
}

/**
 * A copy of the clip's fragment as fragment number `index` (0-based): sequence number and decode
 * times moved on. With `seconds` shorter than the clip, the fragment keeps only the samples that
 * fit (at least one per track): the end of a video is cut at a sample boundary.
 */
function fragmentAt(c: Clip, index: number, seconds = c.seconds): Buffer {
  const src = c.fragment;
  const [moof, mdat] = readBoxes(src) as [Box, Box];
  const parts: Buffer[] = [];
  /** Offsets (within the new moof) of trun data_offset fields, patched once the moof's size is known. */
  const dataOffsets: number[] = [];
  let length = 8;
  for (const b of readBoxes(src, moof.start + 8, moof.end)) {
    let bytes: Buffer = Buffer.from(src.subarray(b.start, b.end));
    if (b.type === 'mfhd') bytes.writeUInt32BE(index + 1, 12);
    if (b.type === 'traf') bytes = trafAt(c, bytes, index, seconds, (at) => dataOffsets.push(length + at));
    parts.push(bytes);
    length += bytes.length;
  }
  const newMoof = box('moof', ...parts);
  const shrink = moof.end - moof.start - newMoof.length;
  for (const at of dataOffsets) newMoof.writeInt32BE(newMoof.readInt32BE(at) - shrink, at);
  return Buffer.concat([newMoof, src.subarray(mdat.start, mdat.end)]);
}

function trafAt(c: Clip, traf: Buffer, index: number, seconds: number, dataOffsetAt: (at: number) => void): Buffer {
  const tfhd = child(traf, { type: 'traf', start: 0, end: traf.length }, 'tfhd')!;
  const track = c.tracks.get(traf.readUInt32BE(tfhd.start + 12));
  const tfhdFlags = traf.readUInt32BE(tfhd.start + 8) & 0xffffff;
  const at = tfhd.start + 16 + (tfhdFlags & 0x01 ? 8 : 0) + (tfhdFlags & 0x02 ? 4 : 0);
  const defaultDuration = tfhdFlags & 0x08 ? traf.readUInt32BE(at) : 0;
  const parts: Buffer[] = [];
  let length = 8;
  for (const b of readBoxes(traf, 8)) {
    let bytes: Buffer = Buffer.from(traf.subarray(b.start, b.end));
    if (b.type === 'tfdt' && track) {
      const base = track.duration * index;
      if (bytes[8] === 1) bytes.writeBigUInt64BE(BigInt(base), 12);
      else bytes.writeUInt32BE(base >>> 0, 12);
    }
    if (b.type === 'trun') {
      const flags = bytes.readUInt32BE(8) & 0xffffff;
      const count = bytes.readUInt32BE(12);
      const head = 16 + (flags & 0x01 ? 4 : 0) + (flags & 0x04 ? 4 : 0);
      const perSample = [0x100, 0x200, 0x400, 0x800].filter((bit) => flags & bit).length * 4;
      const limit = track ? seconds * track.timescale + 1e-6 : Infinity;
      let keep = 0;
      let total = 0;
      while (keep < count) {
        const d = flags & 0x100 ? bytes.readUInt32BE(head + keep * perSample) : defaultDuration;
        if (keep > 0 && total + d / 2 > limit) break;
        total += d;
        keep += 1;
      }
      bytes = Buffer.from(bytes.subarray(0, head + keep * perSample));
      bytes.writeUInt32BE(bytes.length, 0);
      bytes.writeUInt32BE(keep, 12);
      if (flags & 0x01) dataOffsetAt(length + 16);
    }
    parts.push(bytes);
    length += bytes.length;
  }
  return box('traf', ...parts);
}

/** mvex/mehd: the whole movie's duration, in the movie timescale, so players show it before reading every fragment. */
function withDuration(moov: Buffer, seconds: number): Buffer {
  const boxes = readBoxes(moov, 8);
  const mvhd = boxes.find((b) => b.type === 'mvhd')!;
  const timescale = moov.readUInt32BE(mvhd.start + 8 + 4 + (moov[mvhd.start + 8] === 1 ? 16 : 8));
  const parts: Buffer[] = [];
  for (const b of boxes) {
    if (b.type !== 'mvex') {
      parts.push(moov.subarray(b.start, b.end));
      continue;
    }
    const inner = readBoxes(moov, b.start + 8, b.end)
      .filter((x) => x.type !== 'mehd')
      .map((x) => moov.subarray(x.start, x.end));
    parts.push(box('mvex', box('mehd', u32(0, Math.round(seconds * timescale))), ...inner));
  }
  return box('moov', ...parts);
}

/**
 * A playable fragmented MP4 (H.264 + AAC) of about `durationSeconds`: the shipped clip's init
 * segment, a `free` box of bytes derived from `seed` (so every video has its own sha256; players
 * skip `free`), and the clip's one-second fragment repeated with its decode times moved on. The
 * declared duration (mvex/mehd) is the one asked for, and the fragments cover it to the sample
 * (64 ms), the last one cut to fit. Size grows with the duration (a few KB a second).
 */
export function mp4(seed: string, durationSeconds: number): Buffer {
  const c = loadClip();
  const count = Math.max(1, Math.ceil(durationSeconds / c.seconds - 1e-9));
  const last = durationSeconds - (count - 1) * c.seconds;
  const fragments = Array.from({ length: count }, (_, i) => fragmentAt(c, i, i === count - 1 ? last : c.seconds));
  const free = box('free', createHash('sha256').update(seed).digest());
  return Buffer.concat([c.ftyp, free, withDuration(c.moov, durationSeconds), ...fragments]);
}

/** A 16×9 baseline JPEG (SOI … EOI), made once with an image tool and embedded. */
export const JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikxMC4pLSwzOko+MzZGNywtQFdBRkxOUlNSMj5aYVpQYEpRUk//2wBDAQ4ODhMREyYVFSZPNS01T09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT0//wAARCAAJABADASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAb/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFQEBAQAAAAAAAAAAAAAAAAAAAwT/xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oADAMBAAIRAxEAPwCBAVAf/9k=',
  'base64',
);

/** A 1×1 GIF for `gif_url`. */
export const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/** A 4×4 PNG: the bytes of the built-in demo asset used by the examples. */
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAQAAAAEAQMAAACTPww9AAAAA1BMVEU6e9W09Nv6AAAAC0lEQVQI12NggAAAAAgAAS8g3TEAAAAASUVORK5CYII=', 'base64');

function timestamp(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)},${pad(ms % 1000, 3)}`;
}

/** SRT cues of about eight words each, spread evenly over the video. */
export function srt(text: string, durationSeconds: number): string {
  const words = text.split(/\s+/).filter(Boolean);
  const chunks: string[] = [];
  for (let i = 0; i < words.length; i += 8) chunks.push(words.slice(i, i + 8).join(' '));
  if (chunks.length === 0) chunks.push('…');
  const step = durationSeconds / chunks.length;
  return chunks.map((chunk, i) => `${i + 1}\n${timestamp(i * step)} --> ${timestamp((i + 1) * step)}\n${chunk}\n`).join('\n');
}

/** MIME type from magic bytes, for the formats HeyGen's asset upload accepts; null when unknown. */
export function sniff(bytes: Uint8Array): string | null {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = (start: number, end: number): string => b.subarray(start, end).toString('latin1');
  if (b.length >= 8 && b[0] === 0x89 && ascii(1, 4) === 'PNG') return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 12 && ascii(4, 8) === 'ftyp') return 'video/mp4';
  if (b.length >= 4 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'video/webm';
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'audio/wav';
  if (b.length >= 3 && (ascii(0, 3) === 'ID3' || (b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0))) return 'audio/mpeg';
  if (b.length >= 5 && ascii(0, 5) === '%PDF-') return 'application/pdf';
  if (/^\uFEFF?\d+\r?\n\d\d:\d\d:\d\d,\d{3} --> /.test(b.subarray(0, 64).toString('utf8'))) return 'application/x-subrip';
  return null;
}

/**
 * A WAV file (8 kHz, 8-bit mono PCM) of `durationSeconds`: a soft 220 Hz tone that pauses between
 * "words", whose pattern depends on `seed`. What the emulator's text to speech returns.
 */
export function wav(seed: string, durationSeconds: number): Buffer {
  const rate = 8000;
  const samples = Math.max(1, Math.round(durationSeconds * rate));
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + samples, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate, 28); // bytes per second
  header.writeUInt16LE(1, 32); // block align
  header.writeUInt16LE(8, 34); // bits per sample
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(samples, 40);
  const digest = createHash('sha256').update(seed).digest();
  const data = Buffer.alloc(samples);
  const word = Math.round(rate * 0.4); // 400 ms a "word", 100 ms of it silent
  for (let i = 0; i < samples; i += 1) {
    const n = Math.floor(i / word);
    const within = i % word;
    const pitch = 200 + (digest[n % digest.length]! % 60);
    const on = within < word - rate * 0.1;
    data[i] = 128 + (on ? Math.round(24 * Math.sin((2 * Math.PI * pitch * i) / rate)) : 0);
  }
  return Buffer.concat([header, data]);
}
