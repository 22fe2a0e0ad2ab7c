// What an attacker on the internet can do to a captun server: raw HTTP requests and WebSocket
// connects with any headers, from any loopback source address (the whole of 127/8 reaches the
// local server, so each address stands for a different visitor).
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { Agent, type RequestInit as UndiciRequestInit, fetch as undiciFetch } from "undici";
import { localhostLookup } from "../src/_localhost.ts";

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A request with exactly these headers from `from` (a loopback address). A `101` answer resolves
 * at once and its socket is dropped.
 */
export function rawRequest(url: string, headers: Record<string, string>, from = "127.0.0.1"): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, lookup: localhostLookup as never, localAddress: from, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: "" });
    });
    req.on("error", reject);
    req.end();
  });
}

/** A tunnel connect (WebSocket upgrade) carrying `secret`, and any extra headers, from `from`. */
export function rawConnect(tunnelUrl: string, secret: string | undefined, extra: Record<string, string> = {}, from = "127.0.0.1") {
  const headers: Record<string, string> = {
    connection: "upgrade",
    upgrade: "websocket",
    "sec-websocket-version": "13",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    ...extra,
  };
  if (secret !== undefined) headers.authorization = `Bearer ${secret}`;
  return rawRequest(`${tunnelUrl}/__captun-connect`, headers, from);
}

const agents = new Map<string, Agent>();

/** A visitor's fetch from loopback address `from`; `*.localhost` resolves to loopback. */
export function visitFrom(from: string, url: string, init: UndiciRequestInit = {}) {
  let agent = agents.get(from);
  if (!agent) {
    agent = new Agent({ localAddress: from, connect: { lookup: localhostLookup as never } });
    agents.set(from, agent);
  }
  return undiciFetch(url, { dispatcher: agent, redirect: "manual", ...init });
}

/** A TCP socket to the server behind `url`, for requests written by hand (stalling bodies). */
export async function openSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname.endsWith("localhost") ? "127.0.0.1" : hostname, port: Number(port) });
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  return socket;
}

/** The first HTTP response on `socket`: status line and headers parsed, the rest as text. */
export function readResponse(socket: Socket): Promise<{ status: number; head: string; text: string }> {
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (chunk: Buffer) => {
      text += chunk.toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onData);
      resolve({ status: Number(text.slice(9, 12)), head: text.slice(0, end).toLowerCase(), text });
    };
    socket.on("data", onData);
    socket.once("error", reject);
    socket.once("close", () => reject(new Error(`the connection closed before a response: ${JSON.stringify(text)}`)));
  });
}
