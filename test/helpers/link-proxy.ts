/**
 * A TCP proxy in front of the portal that plays a village station's link: `pass` forwards,
 * `blackhole` accepts connections and holds every one (open, nothing answers: a stopped process
 * or a dead route), `refuse` resets the open connections and closes new ones at once. Leaving the black hole drops the
 * held connections, as a link that comes back resets its stale ones.
 */
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type LinkMode = 'pass' | 'blackhole' | 'refuse';

export async function startLinkProxy(target: string): Promise<{ url: string; set(mode: LinkMode): void; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  let mode: LinkMode = 'pass';
  const held = new Set<Socket>();
  const open = new Set<Socket>();
  const hold = (s: Socket) => {
    held.add(s);
    s.on('close', () => held.delete(s));
    s.on('error', () => {});
  };
  const server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => {});
    if (mode === 'refuse') return client.destroy();
    if (mode === 'blackhole') return hold(client);
    const upstream = connect(Number(port), hostname);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    // Forward while the link is up; once it is black-holed, nothing more goes either way.
    client.on('data', (d) => (held.has(client) ? undefined : upstream.write(d)));
    upstream.on('data', (d) => (held.has(client) ? undefined : client.write(d)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    set(next) {
      if (next === 'blackhole') for (const s of open) hold(s);
      if (next === 'refuse') for (const s of open) s.destroy();
      if (mode === 'blackhole' && next !== 'blackhole') for (const s of [...held]) s.destroy();
      mode = next;
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
