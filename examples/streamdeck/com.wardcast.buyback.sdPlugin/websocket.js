/*!
 * websocket.js: a small WebSocket client (RFC 6455) with the browser's interface, for Node
 * versions without a global WebSocket.
 *
 * Why: Stream Deck runs Node.js plugins on its own Node 20 (20.5 to 20.19, depending on the
 * Stream Deck version), where `WebSocket` exists only behind --experimental-websocket, and a
 * plugin cannot pass Node flags. Rather than ship node_modules, the plugin uses this file
 * when there is no global WebSocket. It is enough for the Stream Deck socket and for
 * wardcast.js: text and binary messages (fragmented or not), ping/pong, close codes, ws://
 * and wss://. No extensions, no subprotocols.
 *
 * Interface: new WebSocket(url); readyState; send(text); close(code?, reason?);
 * addEventListener/removeEventListener and onopen/onmessage/onclose/onerror for "open",
 * "message" ({data}), "close" ({code, reason, wasClean}) and "error" ({message}).
 */
"use strict";

const http = require("node:http");
const https = require("node:https");
const crypto = require("node:crypto");

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const MAX_MESSAGE = 16 * 1024 * 1024; // refuse anything larger (protects the plugin's memory)
const CLOSE_TIMEOUT_MS = 2000; // after sending a close frame, wait this long for the peer's

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

class WebSocket {
  constructor(url) {
    const u = new URL(String(url));
    if (u.protocol !== "ws:" && u.protocol !== "wss:") {
      throw new SyntaxError(`websocket.js: the url must start with ws:// or wss://, got ${JSON.stringify(String(url))}`);
    }
    this.url = u.href;
    this.readyState = CONNECTING;
    this.onopen = null;
    this.onmessage = null;
    this.onclose = null;
    this.onerror = null;
    this._listeners = new Map();
    this._socket = null;
    this._buffer = Buffer.alloc(0);
    this._fragments = null; // {opcode, parts, size} while a fragmented message arrives
    this._closeFrame = null; // {code, reason} received from the peer
    this._closeTimer = null;
    this._closed = false;

    const key = crypto.randomBytes(16).toString("base64");
    const secure = u.protocol === "wss:";
    const request = (secure ? https : http).request({
      hostname: u.hostname.replace(/^\[|\]$/g, ""),
      port: u.port || (secure ? 443 : 80),
      path: u.pathname + u.search,
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Key": key,
        "Sec-WebSocket-Version": "13",
      },
    });
    this._request = request;
    request.on("upgrade", (res, socket, head) => {
      const expected = crypto.createHash("sha1").update(key + GUID).digest("base64");
      if (res.headers["sec-websocket-accept"] !== expected) {
        socket.destroy();
        this._fail("bad Sec-WebSocket-Accept in the handshake");
        return;
      }
      if (this.readyState !== CONNECTING) {
        socket.destroy(); // close() was called during the handshake
        return;
      }
      this._socket = socket;
      socket.setNoDelay(true);
      socket.on("data", (chunk) => this._onData(chunk));
      socket.on("error", () => {}); // a "close" always follows
      socket.on("close", () => this._finish());
      this.readyState = OPEN;
      this._emit("open", {});
      if (head && head.length) this._onData(head);
    });
    request.on("response", (res) => {
      res.resume();
      this._fail(`the server answered HTTP ${res.statusCode} instead of switching protocols`);
    });
    request.on("error", (err) => this._fail(err.message));
    request.end();
  }

  get CONNECTING() {
    return CONNECTING;
  }
  get OPEN() {
    return OPEN;
  }
  get CLOSING() {
    return CLOSING;
  }
  get CLOSED() {
    return CLOSED;
  }

  addEventListener(type, fn) {
    if (typeof fn !== "function") return;
    if (!this._listeners.has(type)) this._listeners.set(type, new Set());
    this._listeners.get(type).add(fn);
  }

  removeEventListener(type, fn) {
    this._listeners.get(type)?.delete(fn);
  }

  send(data) {
    if (this.readyState === CONNECTING) throw new Error("websocket.js: send() before the connection opened");
    if (this.readyState !== OPEN) return; // as browsers do: data sent after close() is dropped
    if (typeof data === "string") this._frame(0x1, Buffer.from(data, "utf8"));
    else this._frame(0x2, Buffer.from(data));
  }

  close(code, reason) {
    if (this.readyState === CLOSING || this.readyState === CLOSED) return;
    if (this.readyState === CONNECTING) {
      this.readyState = CLOSING;
      this._request.destroy();
      this._fail("closed before the connection opened");
      return;
    }
    this.readyState = CLOSING;
    let payload = Buffer.alloc(0);
    if (typeof code === "number") {
      const text = Buffer.from(reason ? String(reason) : "", "utf8").subarray(0, 123);
      payload = Buffer.alloc(2 + text.length);
      payload.writeUInt16BE(code, 0);
      text.copy(payload, 2);
    }
    this._frame(0x8, payload);
    this._closeTimer = setTimeout(() => this._socket && this._socket.destroy(), CLOSE_TIMEOUT_MS);
  }

  // ---------------------------------------------------------------- internals

  _emit(type, props) {
    const event = Object.assign({ type, target: this }, props);
    const handler = this["on" + type];
    if (typeof handler === "function") handler.call(this, event);
    for (const fn of Array.from(this._listeners.get(type) || [])) fn.call(this, event);
  }

  // The connection could not be opened (or broke during the handshake): error, then close 1006.
  _fail(message) {
    if (this._closed) return;
    this._closed = true;
    this.readyState = CLOSED;
    this._emit("error", { message });
    this._emit("close", { code: 1006, reason: "", wasClean: false });
  }

  // The TCP connection is gone.
  _finish() {
    if (this._closed) return;
    this._closed = true;
    if (this._closeTimer) clearTimeout(this._closeTimer);
    this.readyState = CLOSED;
    const frame = this._closeFrame;
    this._emit("close", frame ? { code: frame.code, reason: frame.reason, wasClean: true } : { code: 1006, reason: "", wasClean: false });
  }

  // Client frames are always masked (RFC 6455 §5.3).
  _frame(opcode, payload) {
    if (!this._socket || this._socket.destroyed) return;
    const len = payload.length;
    const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
    const frame = Buffer.alloc(head + 4 + len);
    frame[0] = 0x80 | opcode;
    if (len < 126) {
      frame[1] = 0x80 | len;
    } else if (len < 65536) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(len, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeBigUInt64BE(BigInt(len), 2);
    }
    const mask = crypto.randomBytes(4);
    mask.copy(frame, head);
    for (let i = 0; i < len; i++) frame[head + 4 + i] = payload[i] ^ mask[i & 3];
    this._socket.write(frame);
  }

  _protocolError(message) {
    this._emit("error", { message: `websocket.js: ${message}` });
    this._closeFrame = null;
    if (this.readyState === OPEN) this.close(1002, "protocol error");
    this._socket?.destroy();
  }

  _onData(chunk) {
    this._buffer = this._buffer.length ? Buffer.concat([this._buffer, chunk]) : chunk;
    for (;;) {
      const buf = this._buffer;
      if (buf.length < 2) return;
      const fin = (buf[0] & 0x80) !== 0;
      const opcode = buf[0] & 0x0f;
      const masked = (buf[1] & 0x80) !== 0;
      let len = buf[1] & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        const big = buf.readBigUInt64BE(2);
        if (big > BigInt(MAX_MESSAGE)) return this._protocolError("frame too large");
        len = Number(big);
        offset = 10;
      }
      if (len > MAX_MESSAGE) return this._protocolError("frame too large");
      const maskAt = offset;
      if (masked) offset += 4;
      if (buf.length < offset + len) return;
      let payload = buf.subarray(offset, offset + len);
      if (masked) {
        payload = Buffer.from(payload);
        for (let i = 0; i < len; i++) payload[i] ^= buf[maskAt + (i & 3)];
      }
      this._buffer = buf.subarray(offset + len);
      this._onFrame(fin, opcode, payload);
      if (this._closed || !this._socket || this._socket.destroyed) return;
    }
  }

  _onFrame(fin, opcode, payload) {
    switch (opcode) {
      case 0x0: // continuation
        if (!this._fragments) return this._protocolError("continuation frame without a message");
        this._fragments.parts.push(Buffer.from(payload));
        this._fragments.size += payload.length;
        if (this._fragments.size > MAX_MESSAGE) return this._protocolError("message too large");
        if (fin) {
          const { opcode: first, parts } = this._fragments;
          this._fragments = null;
          this._deliver(first, Buffer.concat(parts));
        }
        return;
      case 0x1: // text
      case 0x2: // binary
        if (this._fragments) return this._protocolError("new message before the last one ended");
        if (fin) this._deliver(opcode, payload);
        else this._fragments = { opcode, parts: [Buffer.from(payload)], size: payload.length };
        return;
      case 0x8: {
        // close: remember the peer's code, answer (if we did not start it), then end
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        const reason = payload.length > 2 ? payload.subarray(2).toString("utf8") : "";
        this._closeFrame = { code, reason };
        if (this.readyState === OPEN) {
          this.readyState = CLOSING;
          this._frame(0x8, payload.length >= 2 ? payload.subarray(0, 2) : Buffer.alloc(0));
        }
        this._socket.end();
        return;
      }
      case 0x9: // ping
        this._frame(0xa, payload);
        return;
      case 0xa: // pong
        return;
      default:
        this._protocolError(`unknown opcode ${opcode}`);
    }
  }

  _deliver(opcode, payload) {
    if (this.readyState !== OPEN) return;
    this._emit("message", { data: opcode === 0x1 ? payload.toString("utf8") : payload });
  }
}

WebSocket.CONNECTING = CONNECTING;
WebSocket.OPEN = OPEN;
WebSocket.CLOSING = CLOSING;
WebSocket.CLOSED = CLOSED;

module.exports = WebSocket;
module.exports.WebSocket = WebSocket;
