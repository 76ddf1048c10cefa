// What a file's own bytes say about its container (probe.ts): the signature in its first bytes,
// and for the MP4/MOV family whether a top-level box runs past the end of the file (an upload cut
// short that ffprobe, reading only the header, would accept).
import { open } from 'node:fs/promises';

/** Enough for three MPEG-TS packets; every other signature sits in the first 8 bytes. */
export const SNIFF_BYTES = 512;

// ---------------------------------------------------------------------------------------------
// Pure

export type ContainerKind =
  | 'iso-bmff'
  | 'matroska'
  | 'mpeg-ts'
  | 'mpeg-ps'
  | 'riff'
  | 'flv'
  | 'ogg'
  | 'asf'
  | 'flac'
  | 'mp3'
  | 'adts';

const ISO_BMFF_FIRST_BOXES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot', 'styp', 'sidx', 'moof']);

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

/** Recognises a media container from the first bytes of a file (SNIFF_BYTES of them). */
export function sniffContainer(head: Uint8Array): ContainerKind | null {
  const b = (i: number): number => head[i] ?? -1;
  if (head.length >= 8 && ISO_BMFF_FIRST_BOXES.has(ascii(head, 4, 4))) return 'iso-bmff';
  if (b(0) === 0x1a && b(1) === 0x45 && b(2) === 0xdf && b(3) === 0xa3) return 'matroska';
  // MPEG-TS has a 0x47 sync byte every 188 bytes (M2TS: every 192, after a 4-byte timestamp).
  if (b(0) === 0x47 && b(188) === 0x47 && b(376) === 0x47) return 'mpeg-ts';
  if (b(4) === 0x47 && b(196) === 0x47 && b(388) === 0x47) return 'mpeg-ts';
  if (b(0) === 0 && b(1) === 0 && b(2) === 1 && b(3) === 0xba) return 'mpeg-ps';
  if (ascii(head, 0, 4) === 'RIFF') return 'riff';
  if (ascii(head, 0, 3) === 'FLV') return 'flv';
  if (ascii(head, 0, 4) === 'OggS') return 'ogg';
  if (b(0) === 0x30 && b(1) === 0x26 && b(2) === 0xb2 && b(3) === 0x75) return 'asf';
  if (ascii(head, 0, 4) === 'fLaC') return 'flac';
  if (ascii(head, 0, 3) === 'ID3') return 'mp3';
  if (b(0) === 0xff && (b(1) & 0xf6) === 0xf0) return 'adts';
  if (b(0) === 0xff && (b(1) & 0xe0) === 0xe0) return 'mp3';
  return null;
}

export interface BoxHeader {
  type: string;
  /** Total size including the header; null means "extends to the end of the file". */
  size: number | null;
  headerSize: number;
}

/**
 * Reads an ISO BMFF box header (8 bytes, or 16 with a 64-bit size). Returns null when the
 * bytes are not a plausible header (too short, non-printable type, size below the header).
 */
export function parseBoxHeader(bytes: Uint8Array): BoxHeader | null {
  if (bytes.length < 8) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = ascii(bytes, 4, 4);
  if (!/^[\x20-\x7e]{4}$/.test(type)) return null;
  const size32 = view.getUint32(0);
  if (size32 === 0) return { type, size: null, headerSize: 8 };
  if (size32 === 1) {
    if (bytes.length < 16) return null;
    const size64 = Number(view.getBigUint64(8));
    return size64 >= 16 ? { type, size: size64, headerSize: 16 } : null;
  }
  return size32 >= 8 ? { type, size: size32, headerSize: 8 } : null;
}

// ---------------------------------------------------------------------------------------------
// I/O

/** The first `length` bytes of a file (fewer when the file is shorter). */
export async function readHead(file: string, length: number): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buffer = new Uint8Array(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Walks the top-level boxes of an MP4/MOV; returns a description of the first box that
 * runs past the end of the file, or null when the file is whole. Stops at the first
 * implausible header: trailing junk is tolerated, only a clear overrun counts.
 */
export async function findTruncatedBox(file: string, fileSize: number): Promise<string | null> {
  const handle = await open(file, 'r');
  try {
    const header = new Uint8Array(16);
    let offset = 0;
    // Fragmented MP4 has two boxes per fragment; 100k boxes is far beyond a lecture's length.
    for (let boxes = 0; offset + 8 <= fileSize && boxes < 100_000; boxes++) {
      const { bytesRead } = await handle.read(header, 0, 16, offset);
      const box = parseBoxHeader(header.subarray(0, bytesRead));
      if (!box || box.size === null) return null;
      if (offset + box.size > fileSize) {
        return `box '${box.type}' at ${offset} needs ${box.size} bytes, file has ${fileSize - offset}`;
      }
      offset += box.size;
    }
    return null;
  } finally {
    await handle.close();
  }
}
