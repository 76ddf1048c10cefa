// A file that readers (players polling a playlist) see whole or not at all: written beside its
// place under a temporary name, then renamed over it (rename is atomic within a file system).
import { rename, writeFile } from 'node:fs/promises';

export async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}-${Date.now()}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}
