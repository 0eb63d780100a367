/**
 * The files behind `video_url`, `thumbnail_url`, `gif_url` and `subtitle_url`. They are small but
 * real, so a client's download, length check and sniffing code runs as it would against HeyGen.
 */
import { createHash } from 'node:crypto';

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

/** A movie header (version 0) with timescale 1000 and the given duration. */
function mvhd(durationMs: number): Buffer {
  const identity = u32(0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000);
  return box(
    'mvhd',
    u32(0, 0, 0, 1000, Math.round(durationMs)), // version+flags, creation, modification, timescale, duration
    u32(0x00010000), // rate 1.0
    Buffer.from([0x01, 0x00, 0, 0]), // volume 1.0 + reserved
    u32(0, 0), // reserved
    identity,
    u32(0, 0, 0, 0, 0, 0), // pre_defined
    u32(2), // next_track_ID
  );
}

/**
 * A structurally valid MP4 (ftyp + moov/mvhd + mdat) whose bytes depend on `seed`, so every video
 * has its own sha256, and whose size grows with the duration (about 4 KB a second, at most 1 MB).
 */
export function mp4(seed: string, durationSeconds: number): Buffer {
  const ftyp = box('ftyp', Buffer.from('isom', 'latin1'), u32(0x200), Buffer.from('isomiso2avc1mp41', 'latin1'));
  const moov = box('moov', mvhd(durationSeconds * 1000));
  const size = Math.min(1 << 20, Math.max(4096, Math.ceil(durationSeconds) * 4096));
  // A 4 KB pattern derived from the seed, repeated: unique per video and cheap to make per download.
  const pattern = Buffer.alloc(4096);
  let block = createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < pattern.length; offset += block.length) {
    block.copy(pattern, offset);
    block = createHash('sha256').update(block).digest();
  }
  const payload = Buffer.alloc(size, pattern);
  return Buffer.concat([ftyp, moov, box('mdat', payload)]);
}

/** A 16×9 baseline JPEG (SOI … EOI), made once with an image tool and embedded. */
export const JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikxMC4pLSwzOko+MzZGNywtQFdBRkxOUlNSMj5aYVpQYEpRUk//2wBDAQ4ODhMREyYVFSZPNS01T09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT0//wAARCAAJABADASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAb/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFQEBAQAAAAAAAAAAAAAAAAAAAwT/xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oADAMBAAIRAxEAPwCBAVAf/9k=',
  'base64',
);

/** A 1×1 GIF for `gif_url`. */
export const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/** A 4×4 PNG: the bytes of the built-in demo asset used by the examples. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAQAAAAEAQMAAACTPww9AAAAA1BMVEU6e9W09Nv6AAAAC0lEQVQI12NggAAAAAgAAS8g3TEAAAAASUVORK5CYII=',
  'base64',
);

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
  return chunks
    .map((chunk, i) => `${i + 1}\n${timestamp(i * step)} --> ${timestamp((i + 1) * step)}\n${chunk}\n`)
    .join('\n');
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
