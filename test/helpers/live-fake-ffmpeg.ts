// A stand-in for ffmpeg in recorder tests: it binds the RTP/RTCP ports named in the SDP (so the
// recorder sees it listening), writes a one-segment EVENT playlist without ENDLIST, and then
// misbehaves as asked: ignores SIGINT (as a real ffmpeg that gave up probing does) or exits
// with an error. Written to a folder at test time; nothing binary, nothing committed.
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const PROGRAM = String.raw`
const dgram = require('node:dgram');
const fs = require('node:fs');
const path = require('node:path');
const args = process.argv.slice(2);
const sdp = fs.readFileSync(args[args.indexOf('-i') + 1], 'utf8');
const ports = [...sdp.matchAll(/^m=\w+ (\d+)/gm), ...sdp.matchAll(/^a=rtcp:(\d+)/gm)].map((m) => Number(m[1]));
for (const port of ports) {
  const s = dgram.createSocket('udp4');
  s.on('message', () => {});
  s.bind(port, '127.0.0.1');
}
const playlist = args[args.length - 1];
fs.writeFileSync(path.join(path.dirname(playlist), 'seg_00000.ts'), '');
fs.writeFileSync(playlist, '#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXTINF:2.000000,\nseg_00000.ts\n');
const mode = process.env.FAKE_FFMPEG_MODE;
if (mode === 'ignore-sigint') process.on('SIGINT', () => process.stderr.write('ignoring SIGINT\n'));
if (mode === 'crash') setTimeout(() => { process.stderr.write('Conversion failed!\n'); process.exit(1); }, 1500);
setInterval(() => {}, 1000);
`;

export type FakeFfmpegMode = 'ignore-sigint' | 'crash';

/** Writes an executable fake ffmpeg into `dir` and returns its path. */
export async function writeFakeFfmpeg(dir: string, mode: FakeFfmpegMode): Promise<string> {
  const program = join(dir, 'fake-ffmpeg.cjs');
  const wrapper = join(dir, `fake-ffmpeg-${mode}`);
  await writeFile(program, PROGRAM);
  await writeFile(wrapper, `#!/bin/sh\nFAKE_FFMPEG_MODE=${mode} exec "${process.execPath}" "${program}" "$@"\n`);
  await chmod(wrapper, 0o755);
  return wrapper;
}
