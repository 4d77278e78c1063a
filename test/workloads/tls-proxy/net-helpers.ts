import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { connect, createServer, type Server } from 'node:net';
import { makeStrategy } from '../../../allocators/registry.js';
import type { TlsClientConfig, TlsCloseInfo } from '../../../stack/tls/connection.js';
import { attachTls } from '../../../workloads/tls-proxy/socket-transport.js';

/** A backend that answers every chunk with `echo:` + chunk, then ends the connection. */
export async function startEchoBackend(): Promise<{ port: number; server: Server }> {
  const server = createServer((s) => {
    s.on('data', (d) => {
      s.write('echo:' + d.toString('latin1'));
      s.end();
    });
    s.on('error', () => s.destroy()); // a reset from the proxy during teardown is fine for a test backend
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as { port: number }).port, server };
}

/** A backend that sends back every byte it gets and ends when the proxy half-closes. */
export async function startPipeBackend(): Promise<{ port: number; server: Server }> {
  const server = createServer((s) => {
    s.pipe(s);
    s.on('error', () => s.destroy()); // a reset from the proxy during teardown is fine for a test backend
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as { port: number }).port, server };
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program with `input` on stdin (a string, or pieces written after a delay in ms each, then
 * stdin closes), killed after `timeoutMs`.
 */
export function run(cmd: string, args: string[], input: string | Array<[delayMs: number, text: string]>, timeoutMs = 10_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (typeof input === 'string') p.stdin.end(input);
    else {
      let delay = 0;
      for (const [d, text] of input) {
        delay += d;
        setTimeout(() => p.stdin.write(text), delay);
      }
      setTimeout(() => p.stdin.end(), delay + 1);
    }
  });
}

/** Starts a long-running program and resolves once its stdout or stderr matches `ready`. */
export function startUntil(cmd: string, args: string[], ready: RegExp, timeoutMs = 10_000): Promise<{ proc: ChildProcess; output: () => string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`${cmd} not ready after ${timeoutMs} ms: ${out}`));
    }, timeoutMs);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve({ proc: p, output: () => out });
      }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited with ${code} before ready: ${out}`));
    });
  });
}

export interface ClientResult {
  handshake: boolean;
  data: string;
  closes: TlsCloseInfo[];
  cipherSuite: string | null;
  group: string | null;
  helloRetryRequests: number;
}

/**
 * Our TLS client over a real TCP connection: sends `request` after the handshake, collects the
 * answer until the socket closes. `corruptFirstWrite` flips a bit in the first application record;
 * `closeAfterBytes` > 0 sends close_notify once that much came back.
 */
export function ourClient(port: number, caPem: string, request: string, cfg: Partial<TlsClientConfig> = {}, corruptFirstWrite = false, closeAfterBytes = 0): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const r: ClientResult = { handshake: false, data: '', closes: [], cipherSuite: null, group: null, helloRetryRequests: 0 };
    let corrupt = false;
    const realWrite = socket.write.bind(socket);
    // Intercepts the socket's writes to damage one record in flight (a man in the middle's bit flip).
    socket.write = ((chunk: Buffer) => {
      if (corrupt) {
        corrupt = false;
        chunk[chunk.length - 5]! ^= 0x01;
      }
      return realWrite(chunk);
    }) as typeof socket.write;
    const conn = attachTls(socket, { role: 'client', serverName: 'localhost', ca: [new X509Certificate(caPem)], ...cfg }, makeStrategy('pooled'), {
      onHandshakeDone: () => {
        r.handshake = true;
        r.cipherSuite = conn.cipherSuite?.name ?? null;
        r.group = conn.group;
        r.helloRetryRequests = conn.counters.helloRetryRequests;
        const b = Buffer.from(request, 'latin1');
        corrupt = corruptFirstWrite;
        conn.write(b, 0, b.length);
      },
      onData: (buf, s, e) => {
        r.data += Buffer.from(buf.subarray(s, e)).toString('latin1');
        if (closeAfterBytes > 0 && r.data.length >= closeAfterBytes) conn.close();
      },
      onClose: (info) => {
        r.closes.push(info);
        if (info.alert === 0 && !conn.writeClosed) conn.close();
      },
      onSocketClose: () => resolve(r),
    });
    socket.on('connect', () => conn.start());
    socket.on('error', (err) => reject(err));
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`our client timed out; so far ${JSON.stringify(r)}`));
    }, 10_000).unref();
  });
}
