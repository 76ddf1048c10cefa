/**
 * Sends one stored file (segments, playlists, posters) and tells what its body carried.
 *
 * - Whole-file GETs (what hls.js asks for) take one stat and a 1 MiB-buffered read stream; Range
 *   and conditional requests go through @fastify/send, which implements them (206, 304, 412, 416).
 * - HEAD answers with the headers a GET would get and no body.
 * - A body (200 or 206 to a GET) is written here rather than piped by Fastify, so that each chunk's
 *   write callback says it reached the connection: when the response closes, `onCarried` gets
 *   the bytes written: all of them once the response finished; on an aborted download the 1-MiB
 *   chunks flushed to the socket before it closed (a chunk in flight counts nothing). "Written"
 *   is as far as a server can see: handed to the kernel, which may still hold up to its socket
 *   buffers (a few MB) when the peer vanishes.
 * - A live lecture's playlist that is still being written goes out as a window of its newest
 *   segments (sendLiveWindow): the recorder's file keeps every segment for the replay.
 */
import { createReadStream } from 'node:fs';
import type { OutgoingHttpHeaders } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Readable } from 'node:stream';
import send from '@fastify/send';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { StorageKeyError, liveWindow, type Storage } from '../../../media';
import { errors } from '../../errors';
import type { Carried } from './delivery';

const contentTypes: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.aac': 'audio/aac',
  '.vtt': 'text/vtt; charset=utf-8',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
};

const CHUNK = 1024 * 1024;

/** The local path of a stored key; a key storage refuses (`\`, `.`, empty segments...) is a 404. */
export function storedPath(storage: Storage, key: string): string {
  try {
    return storage.path(key);
  } catch (err) {
    if (err instanceof StorageKeyError) throw errors.notFound('文件', 'File');
    throw err;
  }
}

export async function sendStored(req: FastifyRequest, reply: FastifyReply, path: string, cacheControl: string, onCarried?: (carried: Carried) => void) {
  const type = contentTypes[extname(path).toLowerCase()] ?? 'application/octet-stream';
  const head = req.method === 'HEAD';
  if (!req.headers.range && !req.headers['if-none-match'] && !req.headers['if-modified-since']) {
    const st = await stat(path).catch(() => null);
    if (!st?.isFile()) throw errors.notFound('文件', 'File');
    const headers = {
      'content-type': type,
      'content-length': st.size,
      'accept-ranges': 'bytes',
      // The same tag @fastify/send gives (mtime as a Date rounds the ms), so If-None-Match from either path matches.
      etag: `W/"${st.size.toString(16)}-${st.mtime.getTime().toString(16)}"`,
      'last-modified': st.mtime.toUTCString(),
      'cache-control': cacheControl,
      'x-content-type-options': 'nosniff',
    };
    return writeBody(req, reply, 200, headers, head ? null : createReadStream(path, { highWaterMark: CHUNK }), { start: 0, length: st.size, size: st.size }, onCarried);
  }
  const slash = path.lastIndexOf('/');
  const { statusCode, headers, stream } = await send(req.raw, encodeURIComponent(path.slice(slash + 1)), {
    root: path.slice(0, slash),
    acceptRanges: true,
    cacheControl: false,
    contentType: false,
    etag: true,
    lastModified: true,
    // send() otherwise leaves Node's 16 KiB read buffer: 44 reads for a 700 KB segment.
    highWaterMark: CHUNK,
  });
  // 301/403: a folder or a name send() will not serve; for a media URL that is no file.
  if (statusCode === 404 || statusCode === 403 || statusCode === 301) {
    stream.destroy();
    throw errors.notFound('文件', 'File');
  }
  if (statusCode >= 300) return reply.code(statusCode).headers(headers).send(stream); // 304, 412, 416: no media
  const length = Number(headers['Content-Length']);
  const range = /^bytes (\d+)-\d+\/(\d+)$/.exec(String(headers['Content-Range'] ?? ''));
  const at = range ? { start: Number(range[1]), length, size: Number(range[2]) } : { start: 0, length, size: length };
  if (head) stream.destroy();
  return writeBody(req, reply, statusCode, { ...headers, 'content-type': type, 'cache-control': cacheControl, 'x-content-type-options': 'nosniff' }, head ? null : stream, at, onCarried);
}

/** Writes the status, headers and body (`length` bytes from `start` of a file of `size`) itself, counting the bytes that went out. */
function writeBody(req: FastifyRequest, reply: FastifyReply, status: number, headers: Record<string, string | number>, body: Readable | null, at: { start: number; length: number; size: number }, onCarried?: (carried: Carried) => void) {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(status, { ...reply.getHeaders(), ...headers } as OutgoingHttpHeaders);
  if (!body) {
    res.end();
    return reply;
  }
  let written = 0;
  let finished = false;
  body.on('data', (chunk: Buffer) => {
    const n = chunk.length;
    const more = res.write(chunk, (err) => {
      if (!err) written += n;
    });
    if (!more) body.pause();
  });
  res.on('drain', () => body.resume());
  body.once('end', () => res.end());
  body.once('error', (err) => {
    req.log.warn({ err }, 'media | reading a stored file failed mid-response');
    res.destroy();
  });
  // 'finish': the whole body was handed to the connection; a 'close' without it is an abort.
  res.once('finish', () => {
    finished = true;
  });
  res.once('close', () => {
    body.destroy();
    const bytes = finished ? at.length : written;
    if (!onCarried || bytes <= 0) return;
    try {
      onCarried({ start: at.start, bytes, size: at.size });
    } catch (err) {
      // After the response: nobody to answer, and an event handler must not take the process down.
      req.log.error({ err }, 'media | recording what a response delivered failed');
    }
  });
  return reply;
}

/** The live window of each playlist file, kept while the file is unchanged (size and mtime). */
const windows = new Map<string, { size: number; mtimeMs: number; text: string | null }>();

/**
 * A live lecture's playlist as a sliding window of its newest `keepSec` seconds (media/hls/
 * live-window.ts); false when the file is finished (ENDLIST) or missing: then it is served as a
 * file. The window is cached per file until the recorder changes it.
 */
export async function sendLiveWindow(reply: FastifyReply, path: string, keepSec: number, cacheControl: string): Promise<boolean> {
  const st = await stat(path).catch(() => null);
  if (!st?.isFile()) return false;
  let hit = windows.get(path);
  if (!hit || hit.size !== st.size || hit.mtimeMs !== st.mtimeMs) {
    const text = await readFile(path, 'utf8').catch(() => null);
    hit = { size: st.size, mtimeMs: st.mtimeMs, text: text === null ? null : liveWindow(text, keepSec) };
    if (windows.size >= 200) windows.clear();
    windows.set(path, hit);
  }
  if (hit.text === null) return false;
  reply.code(200).headers({ 'content-type': contentTypes['.m3u8']!, 'cache-control': cacheControl, 'x-content-type-options': 'nosniff' }).send(hit.text);
  return true;
}
