/**
 * A small learning record store of our own for the tests (xAPI 1.0.3, the part the portal uses):
 * node http on 127.0.0.1, POST /statements with one statement or an array, stored by id.
 * Answers 200 with the ids; a statement whose id is already stored with the same content is
 * accepted again without a second copy; with a different content the whole request is refused
 * with 409 Conflict (nothing of it stored), as the specification says. It can be told to refuse
 * the next N requests (500 or 503) or to hang them (never answer), and counts what it received.
 * GET /statements?statementId=... returns one; GET /statements the stored ones.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface MiniLrs {
  url: string;
  /** Stored statements by id. */
  statements: Map<string, Record<string, unknown>>;
  /** Every POST received: its statement ids and the status answered. */
  requests: { ids: string[]; status: number }[];
  /** How many times each id was received in an accepted request. */
  received: Map<string, number>;
  refuseNext(n: number, status?: 500 | 503): void;
  hangNext(n: number): void;
  close(): Promise<void>;
}

const canonical = (s: Record<string, unknown>) => {
  // The LRS may add `stored`, `authority`, `version`: the comparison leaves them out.
  const { stored: _s, authority: _a, version: _v, ...rest } = s;
  return JSON.stringify(rest);
};

export async function startMiniLrs(opts: { auth?: string } = {}): Promise<MiniLrs> {
  const statements = new Map<string, Record<string, unknown>>();
  const requests: MiniLrs['requests'] = [];
  const received = new Map<string, number>();
  let refuse: { n: number; status: number } = { n: 0, status: 503 };
  let hang = 0;
  const hanging = new Set<ServerResponse>();

  const send = (res: ServerResponse, status: number, body?: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-experience-api-version': '1.0.3' });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname !== '/statements') return send(res, 404, { error: 'not found' });
      if (opts.auth && req.headers.authorization !== opts.auth) return send(res, 401, { error: 'unauthorized' });
      if (!req.headers['x-experience-api-version']) return send(res, 400, { error: 'X-Experience-API-Version header missing' });
      if (req.method === 'GET') {
        const id = url.searchParams.get('statementId');
        if (id) return statements.has(id) ? send(res, 200, statements.get(id)) : send(res, 404, { error: 'no such statement' });
        return send(res, 200, { statements: [...statements.values()], more: '' });
      }
      if (req.method !== 'POST') return send(res, 405, { error: 'method not allowed' });
      const body = await read(req);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return send(res, 400, { error: 'not JSON' });
      }
      const list = (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
      const ids = list.map((s) => (typeof s.id === 'string' ? s.id : ''));
      if (hang > 0) {
        hang--;
        requests.push({ ids, status: 0 });
        hanging.add(res);
        return; // never answered
      }
      if (refuse.n > 0) {
        refuse.n--;
        requests.push({ ids, status: refuse.status });
        return send(res, refuse.status, { error: 'refused on purpose' });
      }
      if (list.some((s) => !s || typeof s !== 'object' || !s.actor || !s.verb || !s.object)) {
        requests.push({ ids, status: 400 });
        return send(res, 400, { error: 'a statement lacks actor, verb or object' });
      }
      for (const s of list) {
        const known = typeof s.id === 'string' ? statements.get(s.id) : undefined;
        if (known && canonical(known) !== canonical(s)) {
          requests.push({ ids, status: 409 });
          return send(res, 409, { error: `statement ${String(s.id)} conflicts with the stored one` });
        }
      }
      const out: string[] = [];
      for (const s of list) {
        const id = typeof s.id === 'string' ? s.id : randomUUID();
        if (!statements.has(id)) statements.set(id, { ...s, id, stored: new Date().toISOString() });
        received.set(id, (received.get(id) ?? 0) + 1);
        out.push(id);
      }
      requests.push({ ids, status: 200 });
      send(res, 200, out);
    })().catch(() => send(res, 500, { error: 'mini LRS failed' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    statements,
    requests,
    received,
    refuseNext(n, status = 503) {
      refuse = { n, status };
    },
    hangNext(n) {
      hang = n;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
