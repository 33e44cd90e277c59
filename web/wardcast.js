/*!
 * wardcast.js: the JavaScript client of Wardcast, protocol v1 (see protocol/README.md).
 *
 * One file, no dependencies, no build step. It loads as:
 *   - a classic browser script (OBS browser source, Overwolf, any page):
 *       <script src="http://127.0.0.1:7314/wardcast.js"></script>            -> globalThis.Wardcast
 *       <script src="http://127.0.0.1:7314/wardcast.js?shim=1"></script>     -> also installs globalThis.overwolf
 *   - a CommonJS or ES module in Node 20+:
 *       const Wardcast = require("./wardcast.js");
 *       import Wardcast from "./wardcast.js";  /  import { Client } from "./wardcast.js";
 *
 * Two APIs over one connection type:
 *   - Wardcast.Client: an event emitter (on/once/off/waitEvent) plus request(), with
 *     automatic reconnect and resume (nothing is lost across short drops).
 *   - Wardcast.installOverwolfShim(): overwolf.games.events / overwolf.games with exactly
 *     Overwolf's payloads, so an Overwolf app ports with one script tag.
 */
(function (root, factory) {
  "use strict";
  var doc = root && root.document;
  // document.currentScript is only set while a classic script runs synchronously: read it now.
  var script = doc && doc.currentScript ? doc.currentScript : null;
  var Wardcast = factory(root, script);
  if (typeof module === "object" && module && typeof module.exports === "object") {
    module.exports = Wardcast;
    // Spelled out so Node's ESM loader sees named exports of this CommonJS file.
    module.exports.Client = Wardcast.Client;
    module.exports.Emitter = Wardcast.Emitter;
    module.exports.installOverwolfShim = Wardcast.installOverwolfShim;
    module.exports.WardcastError = Wardcast.WardcastError;
    module.exports.TimeoutError = Wardcast.TimeoutError;
    module.exports.RpcError = Wardcast.RpcError;
    module.exports.ClosedError = Wardcast.ClosedError;
    module.exports.ConnectionError = Wardcast.ConnectionError;
    module.exports.VERSION = Wardcast.VERSION;
    module.exports.default = Wardcast; // for transpiled `import Wardcast from`
  }
  if (root) root.Wardcast = Wardcast;
  Wardcast._autoInstall(script);
})(
  typeof globalThis !== "undefined" ? globalThis : typeof self !== "undefined" ? self : this,
  function (root, script) {
    "use strict";

    var VERSION = "1.0.0";
    var DEFAULT_URL = "ws://127.0.0.1:7314/ws";
    var MAX_CLIENT_FRAME = 64 * 1024; // protocol §1: bigger frames close the connection with 1009
    var DROP_CODE = 4000; // close code of client._drop(): an application code, not 1000
    var hasOwn = Object.prototype.hasOwnProperty;

    var NO_WEBSOCKET =
      "Wardcast: no WebSocket implementation found. In a browser this cannot happen; in Node 20 " +
      "run with --experimental-websocket (Node 22+ has WebSocket built in), or pass one: " +
      "new Wardcast.Client({ WebSocket: require('ws') }).";

    // ------------------------------------------------------------------ errors

    class WardcastError extends Error {
      constructor(message, props) {
        super(message);
        this.name = "WardcastError";
        if (props) {
          for (var k in props) if (hasOwn.call(props, k)) this[k] = props[k];
        }
      }
    }
    /** A request or waitEvent() ran out of time. */
    class TimeoutError extends WardcastError {
      constructor(message, props) {
        super(message, props);
        this.name = "TimeoutError";
      }
    }
    /** The broker answered a request with a JSON-RPC error: `code`, `data`, `method`. */
    class RpcError extends WardcastError {
      constructor(message, props) {
        super(message, props);
        this.name = "RpcError";
      }
    }
    /** The client was closed with close() (or lost its socket with reconnect off). */
    class ClosedError extends WardcastError {
      constructor(message, props) {
        super(message, props);
        this.name = "ClosedError";
      }
    }
    /** Internal: a request was on a socket that went away. User requests are re-sent instead. */
    class ConnectionError extends WardcastError {
      constructor(message, props) {
        super(message, props);
        this.name = "ConnectionError";
      }
    }

    // A listener threw: never let it break the client, but do not hide it either.
    function report(err) {
      if (typeof root.reportError === "function") {
        try {
          root.reportError(err);
          return;
        } catch (_) {
          /* fall through */
        }
      }
      setTimeout(function () {
        throw err;
      }, 0);
    }

    function callSafely(fn, self, args) {
      try {
        fn.apply(self, args);
      } catch (err) {
        report(err);
      }
    }

    // ------------------------------------------------------------------ emitter

    /**
     * A small event emitter. A function is registered at most once per name: adding it
     * again is a no-op (a once() listener added again with on() becomes permanent).
     */
    class Emitter {
      constructor() {
        this._listeners = new Map();
      }

      on(name, fn) {
        checkListener(fn);
        var list = this._listeners.get(name);
        if (!list) this._listeners.set(name, (list = []));
        for (var i = 0; i < list.length; i++) {
          if (list[i].fn === fn) {
            list[i].once = false;
            return this;
          }
        }
        list.push({ fn: fn, once: false });
        return this;
      }

      once(name, fn) {
        checkListener(fn);
        var list = this._listeners.get(name);
        if (!list) this._listeners.set(name, (list = []));
        for (var i = 0; i < list.length; i++) if (list[i].fn === fn) return this;
        list.push({ fn: fn, once: true });
        return this;
      }

      /** off(name, fn) removes one listener; off(name) every listener of name; off() all. */
      off(name, fn) {
        if (name === undefined) {
          this._listeners.clear();
          return this;
        }
        var list = this._listeners.get(name);
        if (!list) return this;
        if (fn === undefined) {
          list.length = 0;
        } else {
          for (var i = 0; i < list.length; i++) {
            if (list[i].fn === fn) {
              list.splice(i, 1);
              break;
            }
          }
        }
        if (!list.length) this._listeners.delete(name);
        return this;
      }

      listenerCount(name) {
        var list = this._listeners.get(name);
        return list ? list.length : 0;
      }

      /** Calls the listeners of name with args; returns whether there were any. */
      emit(name) {
        var list = this._listeners.get(name);
        if (!list || !list.length) return false;
        var args = Array.prototype.slice.call(arguments, 1);
        var snapshot = list.slice();
        for (var i = 0; i < snapshot.length; i++) {
          var entry = snapshot[i];
          var current = this._listeners.get(name);
          if (!current || current.indexOf(entry) < 0) continue; // removed meanwhile
          if (entry.once) current.splice(current.indexOf(entry), 1);
          callSafely(entry.fn, this, args);
        }
        var after = this._listeners.get(name);
        if (after && !after.length) this._listeners.delete(name);
        return true;
      }

      /**
       * The next emission of name, as the array of its arguments. Options: timeout (ms; 0 or
       * absent waits forever; on expiry the promise rejects with a TimeoutError), filter
       * (called with the arguments; only emissions it accepts count), signal (an AbortSignal).
       */
      waitEvent(name, options) {
        var self = this;
        var opts = options || {};
        return new Promise(function (resolve, reject) {
          var timer = null;
          var settled = false;
          function finish(ok, value) {
            if (settled) return;
            settled = true;
            self.off(name, listener);
            if (timer) clearTimeout(timer);
            if (opts.signal && opts.signal.removeEventListener) opts.signal.removeEventListener("abort", onAbort);
            (ok ? resolve : reject)(value);
          }
          function listener() {
            var args = Array.prototype.slice.call(arguments);
            if (opts.filter) {
              var accepted;
              try {
                accepted = opts.filter.apply(null, args);
              } catch (err) {
                finish(false, err);
                return;
              }
              if (!accepted) return;
            }
            finish(true, args);
          }
          function onAbort() {
            var reason = opts.signal.reason;
            finish(false, reason !== undefined ? reason : new WardcastError("aborted waiting for \"" + name + "\""));
          }
          if (opts.signal && opts.signal.aborted) {
            onAbort();
            return;
          }
          self.on(name, listener);
          if (opts.timeout > 0) {
            timer = setTimeout(function () {
              finish(false, new TimeoutError("timed out after " + opts.timeout + " ms waiting for \"" + name + "\"", { event: name, timeout: opts.timeout }));
            }, opts.timeout);
          }
          if (opts.signal && opts.signal.addEventListener) opts.signal.addEventListener("abort", onAbort);
        });
      }
    }

    function checkListener(fn) {
      if (typeof fn !== "function") throw new TypeError("Wardcast: a listener must be a function");
    }

    // ------------------------------------------------------------------ helpers

    function scriptUrl(s) {
      if (!s || typeof s.src !== "string" || !s.src || typeof URL !== "function") return null;
      try {
        return new URL(s.src);
      } catch (_) {
        return null;
      }
    }

    // The broker that served this script, when it was served over HTTP(S): ws(s)://<host>/ws.
    function defaultUrl() {
      var u = scriptUrl(script);
      if (u && (u.protocol === "http:" || u.protocol === "https:")) {
        return (u.protocol === "https:" ? "wss://" : "ws://") + u.host + "/ws";
      }
      return DEFAULT_URL;
    }

    // ?NAME= (or data-NAME) on the script tag: a default for every client of this page.
    function scriptParam(name) {
      var u = scriptUrl(script);
      var fromAttr = script && typeof script.getAttribute === "function" ? script.getAttribute("data-" + name) : null;
      return fromAttr || (u ? u.searchParams.get(name) : null) || undefined;
    }

    // The access token (?token= / data-token) and the source to watch (?source= /
    // data-source, for a broker that serves several matches).
    function defaultToken() {
      return scriptParam("token");
    }
    function defaultSource() {
      return scriptParam("source");
    }

    function withToken(url, token) {
      return withParam(url, "token", token);
    }

    function withParam(url, name, value) {
      if (value === undefined || value === null || value === "") return url;
      var hash = "";
      var at = url.indexOf("#");
      if (at >= 0) {
        hash = url.slice(at);
        url = url.slice(0, at);
      }
      return url + (url.indexOf("?") >= 0 ? "&" : "?") + name + "=" + encodeURIComponent(String(value)) + hash;
    }

    function byteLength(text) {
      if (typeof TextEncoder === "function") return new TextEncoder().encode(text).length;
      return unescape(encodeURIComponent(text)).length;
    }

    function num(value, fallback) {
      return typeof value === "number" && isFinite(value) && value >= 0 ? value : fallback;
    }

    function normalizeReconnect(r) {
      if (r === false) return null;
      var o = r && typeof r === "object" ? r : {};
      var minDelay = num(o.minDelay, 500);
      var maxDelay = Math.max(minDelay, num(o.maxDelay, 15000));
      var factor = Math.max(1, num(o.factor, 2));
      var jitter = Math.min(1, num(o.jitter, 0.3));
      return { minDelay: minDelay, maxDelay: maxDelay, factor: factor, jitter: jitter };
    }

    // Info keys whose string-format value is a bare number (the others are strings or JSON text).
    var NUMERIC_INFO = { "roshan.state_end_seconds": true, "win_chance.radiant_win_chance": true };

    // Event data in "string" format: JSON text, or "" for events without data.
    function decodeData(value) {
      if (typeof value !== "string") return value;
      if (value === "") return null;
      try {
        return JSON.parse(value);
      } catch (_) {
        return value;
      }
    }

    // Info values in "string" format: objects, arrays and booleans arrive as JSON text, plain
    // strings unchanged. Numbers are parsed only for keys known to be numbers, so a Steam id
    // ("76561198000000000") stays a string.
    function decodeInfoValue(category, key, value) {
      if (typeof value !== "string") return value;
      var t = value.trim();
      var first = t.charAt(0);
      if (first === "{" || first === "[" || t === "true" || t === "false" || NUMERIC_INFO[category + "." + key]) {
        try {
          return JSON.parse(t);
        } catch (_) {
          return value;
        }
      }
      return value;
    }

    function decodeInfo(info) {
      var out = {};
      for (var category in info) {
        if (!hasOwn.call(info, category)) continue;
        var keys = info[category];
        if (!keys || typeof keys !== "object") {
          out[category] = keys;
          continue;
        }
        var o = (out[category] = {});
        for (var key in keys) if (hasOwn.call(keys, key)) o[key] = decodeInfoValue(category, key, keys[key]);
      }
      return out;
    }

    function omitSeq(params) {
      var out = {};
      for (var k in params) if (hasOwn.call(params, k) && k !== "seq") out[k] = params[k];
      return out;
    }

    function uniqueStrings(list) {
      var seen = {};
      var out = [];
      for (var i = 0; i < list.length; i++) {
        var s = list[i];
        if (!hasOwn.call(seen, s)) {
          seen[s] = true;
          out.push(s);
        }
      }
      return out;
    }

    // ------------------------------------------------------------------ client

    var STATES = { connecting: 1, open: 1, reconnecting: 1, closed: 1 };

    /**
     * A connection to the broker.
     *
     * state: "connecting" (first attempt) -> "open" (socket open; the subscription is sent
     * first) -> "reconnecting" (lost, waiting for the backoff or dialling again) -> "open" ...
     * -> "closed" (after close(), or after a loss with reconnect: false).
     *
     * Emits: "<event name>" (data, event), "event" (event), "info:<feature>" (info, params),
     * "info" (info, params), "error" (reason, params), "gameinfo" (info), "open" ({url,
     * reconnected}), "close" ({code, reason, wasClean, willReconnect, delay}), "state" (state,
     * previous), "subscribed" (result), "reset" (result), "notification" (method, params).
     */
    class Client extends Emitter {
      constructor(options) {
        super();
        var o = options || {};
        var WS = o.WebSocket || root.WebSocket;
        if (typeof WS !== "function") throw new WardcastError(NO_WEBSOCKET);
        var url = withToken(o.url || defaultUrl(), o.token !== undefined ? o.token : defaultToken());
        // A broker serving several matches: the source this client watches.
        url = withParam(url, "source", o.source !== undefined ? o.source : defaultSource());
        if (typeof URL === "function") {
          var parsed;
          try {
            parsed = new URL(url);
          } catch (_) {
            throw new TypeError("Wardcast: invalid url " + JSON.stringify(url));
          }
          if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
            throw new TypeError("Wardcast: the url must start with ws:// or wss://, got " + JSON.stringify(url));
          }
        }
        var format = o.dataFormat === undefined ? "object" : o.dataFormat;
        if (format !== "object" && format !== "string") {
          throw new TypeError("Wardcast: dataFormat must be \"object\" or \"string\"");
        }
        if (o.features !== undefined && !isStringArray(o.features)) {
          throw new TypeError("Wardcast: features must be an array of strings");
        }
        this.url = url;
        this.dataFormat = format;
        this.requestTimeout = num(o.requestTimeout, 10000);
        this.connectTimeout = num(o.connectTimeout, 10000);
        this._WS = WS;
        this._reconnect = normalizeReconnect(o.reconnect);
        this._features = o.features ? uniqueStrings(o.features) : [];
        this._state = "closed";
        this._socket = null;
        this._pending = new Map(); // id -> request, in id order
        this._nextId = 1;
        this._attempt = 0; // consecutive failed attempts, for the backoff
        this._timer = null; // the reconnect timer
        this._connectTimer = null;
        this._stopped = false; // close() was called
        this._everOpened = false;
        this._epoch = null;
        this._seq = 0; // max(last notification seq, last result seq) in this epoch
        this._replay = null; // {left, seq} while a recovered resume replays
        this._subscription = null; // the last successful setRequiredFeatures/resume result
        this._ready = false; // this connection is open and its subscription (if any) in force
        this._info = {};
        if (o.autoConnect !== false) this.connect();
      }

      /** "connecting" | "open" | "reconnecting" | "closed" */
      get state() {
        return this._state;
      }
      /** The features of the subscription (sent again on every reconnect). */
      get features() {
        return this._features.slice();
      }
      /** The broker run's epoch, from the last subscription result (null before). */
      get epoch() {
        return this._epoch;
      }
      /** The resume position: max(seq of the last notification, seq of the last result). */
      get lastSeq() {
        return this._seq;
      }
      /** The last successful setRequiredFeatures/resume result, or null. */
      get subscription() {
        return this._subscription;
      }
      /** The current info of the subscribed features, category -> key -> value (decoded). */
      get info() {
        return this._info;
      }

      /** Opens the connection, or dials at once when waiting to reconnect. */
      connect() {
        this._stopped = false;
        if (this._timer) {
          clearTimeout(this._timer);
          this._timer = null;
        }
        if (this._socket) return this;
        // "connecting" from "closed" (the first connect, or connect() after close()); a dial
        // after a loss stays "reconnecting".
        this._setState(this._state === "closed" ? "connecting" : "reconnecting");
        var ws;
        try {
          ws = new this._WS(this.url);
        } catch (err) {
          this._lost({ code: 1006, reason: String((err && err.message) || err), wasClean: false });
          return this;
        }
        this._socket = ws;
        var self = this;
        var opened = false;
        listen(ws, "open", function () {
          opened = true;
          if (self._socket === ws) self._onOpen();
        });
        listen(ws, "message", function (ev) {
          if (self._socket === ws) self._onMessage(ev && ev.data);
        });
        listen(ws, "close", function (ev) {
          if (self._socket !== ws) return;
          self._socket = null;
          self._lost({ code: ev && ev.code, reason: (ev && ev.reason) || "", wasClean: !!(ev && ev.wasClean) });
        });
        listen(ws, "error", function (ev) {
          if (self._socket !== ws) return;
          // Browsers follow an error with a close event. Node 20's WebSocket (undici) does
          // not when the connection is refused: it fires "error" and stays CONNECTING for
          // ever. A failed handshake is therefore handled here; after an open, the close
          // event is awaited, with a fallback in case it never comes.
          var reason = (ev && (ev.message || (ev.error && ev.error.message))) || "connection failed";
          if (!opened) {
            self._socket = null;
            try {
              ws.close();
            } catch (_) {
              /* ignore */
            }
            self._lost({ code: 1006, reason: String(reason), wasClean: false });
          } else {
            setTimeout(function () {
              if (self._socket === ws) self._drop(DROP_CODE, String(reason));
            }, 2000);
          }
        });
        if (this.connectTimeout > 0) {
          this._connectTimer = setTimeout(function () {
            self._connectTimer = null;
            if (self._socket === ws && self._state !== "open") self._drop(DROP_CODE, "connect timeout");
          }, this.connectTimeout);
        }
        return this;
      }

      /** Closes the connection for good: no more reconnects; pending requests reject. */
      close(reason) {
        this._stopped = true;
        this._clearTimers();
        this._attempt = 0;
        var ws = this._socket;
        this._socket = null;
        this._ready = false;
        this._replay = null;
        if (ws) {
          try {
            ws.close(1000, reason ? String(reason).slice(0, 120) : "");
          } catch (_) {
            /* already closing */
          }
        }
        this._rejectAll(new ClosedError("Wardcast: the client was closed"));
        if (this._state !== "closed") {
          this.emit("close", { code: 1000, reason: reason ? String(reason) : "", wasClean: true, willReconnect: false, delay: null });
          this._setState("closed");
        }
        return this;
      }

      /**
       * Sends a JSON-RPC request; resolves with its result. Rejects with an RpcError (its
       * `code`) on a JSON-RPC error, a TimeoutError after `timeout` ms (default requestTimeout;
       * 0 = none), a ClosedError if the client is closed. Requests made while the socket is
       * not open are queued; requests lost with a socket are sent again after the reconnect.
       */
      request(method, params, options) {
        if (typeof method !== "string" || !method) {
          return Promise.reject(new TypeError("Wardcast: method must be a non-empty string"));
        }
        return this._call(method, params, options || {});
      }

      /** setRequiredFeatures with this client's dataFormat; on success the features are kept for reconnects. */
      subscribe(features, options) {
        if (!isStringArray(features)) {
          return Promise.reject(new TypeError("Wardcast: features must be an array of strings"));
        }
        var params = { features: features.slice(), dataFormat: this.dataFormat };
        var self = this;
        var opts = copyOptions(options);
        opts.onResult = function (result) {
          self._onSubscribeResult("setRequiredFeatures", params, result);
        };
        return this._call("setRequiredFeatures", params, opts);
      }

      getInfo(options) {
        return this._call("getInfo", undefined, options || {});
      }
      /** The sources (matches) the broker serves, with their match id, state and last data age. */
      listSources(options) {
        return this._call("listSources", undefined, options || {});
      }
      getFeatures(options) {
        return this._call("getFeatures", undefined, options || {});
      }
      getRunningGameInfo(options) {
        return this._call("getRunningGameInfo", undefined, options || {});
      }

      /**
       * Resolves when the socket is open and the subscription (if there are features) is in
       * force on it. Options: timeout (ms; rejects with a TimeoutError).
       */
      ready(options) {
        if (this._ready) return Promise.resolve(this);
        if (this._stopped) return Promise.reject(new ClosedError("Wardcast: the client was closed"));
        var self = this;
        var opts = options || {};
        return new Promise(function (resolve, reject) {
          var timer = null;
          function done(err) {
            self.off("_ready", onReady);
            self.off("state", onState);
            if (timer) clearTimeout(timer);
            if (err) reject(err);
            else resolve(self);
          }
          function onReady() {
            done(null);
          }
          function onState(state) {
            if (state === "closed") done(new ClosedError("Wardcast: the client was closed"));
          }
          self.on("_ready", onReady);
          self.on("state", onState);
          if (opts.timeout > 0) {
            timer = setTimeout(function () {
              done(new TimeoutError("Wardcast: not ready after " + opts.timeout + " ms", { event: "ready", timeout: opts.timeout }));
            }, opts.timeout);
          }
        });
      }

      /**
       * For tests: closes the raw socket as if the network dropped it, without stopping the
       * client; it reconnects (with resume) as after any loss.
       */
      _drop(code, reason) {
        var ws = this._socket;
        if (!ws) return this;
        this._socket = null;
        try {
          ws.close(code || DROP_CODE, reason || "dropped");
        } catch (_) {
          /* ignore */
        }
        this._lost({ code: 1006, reason: reason || "dropped", wasClean: false });
        return this;
      }

      // ---------------------------------------------------------------- internals

      _setState(next) {
        if (!hasOwn.call(STATES, next) || next === this._state) return;
        var previous = this._state;
        this._state = next;
        this.emit("state", next, previous);
      }

      _clearTimers() {
        if (this._timer) clearTimeout(this._timer);
        if (this._connectTimer) clearTimeout(this._connectTimer);
        this._timer = null;
        this._connectTimer = null;
      }

      _isOpen() {
        var ws = this._socket;
        return !!ws && this._state === "open" && (ws.readyState === undefined || ws.readyState === 1);
      }

      _onOpen() {
        if (this._connectTimer) {
          clearTimeout(this._connectTimer);
          this._connectTimer = null;
        }
        var reconnected = this._everOpened;
        this._everOpened = true;
        this._attempt = 0;
        this._ready = false;
        // The state is set before anything is sent, but announced after the subscription
        // and the queued requests are on the wire, so they keep their order.
        var previous = this._state;
        this._state = "open";
        if (this._features.length) this._sendSubscription();
        else this._markReady();
        var self = this;
        this._pending.forEach(function (p) {
          if (!p.sent && !p.internal) self._transmit(p);
        });
        if (previous !== "open") this.emit("state", "open", previous);
        this.emit("open", { url: this.url, reconnected: reconnected });
      }

      _markReady() {
        if (this._ready) return;
        this._ready = true;
        this.emit("_ready");
      }

      // On (re)connect: resume where we were if there was a subscription, else subscribe.
      _sendSubscription(fresh) {
        var self = this;
        var resume = this._subscription !== null && this._epoch !== null;
        var method = resume ? "resume" : "setRequiredFeatures";
        var params = { features: this._features.slice(), dataFormat: this.dataFormat };
        if (resume) {
          params.epoch = this._epoch;
          params.since = this._seq;
        }
        var socket = this._socket;
        this._call(method, params, {
          internal: true,
          onResult: function (result) {
            self._onSubscribeResult(method, params, result, fresh === true);
            if (self._socket === socket) self._markReady();
          },
        }).then(null, function (err) {
          if (self._socket !== socket || self._stopped) return;
          if (err instanceof RpcError && method === "resume" && (err.code === -32601 || err.code === -32602)) {
            // A broker without resume: subscribe afresh and say the info is whole again.
            self._subscription = null;
            self._sendSubscription(true);
          } else if (err instanceof RpcError || err instanceof TimeoutError) {
            self._drop(DROP_CODE, "subscription failed: " + err.message); // try a fresh connection
          }
        });
      }

      // Runs synchronously when a setRequiredFeatures/resume result arrives, before the
      // notifications that follow it on the socket.
      // `fresh`: a setRequiredFeatures sent in place of a resume the broker refused.
      _onSubscribeResult(method, params, result, fresh) {
        if (!result || result.success !== true) return; // a failed call changes nothing
        var sameEpoch = result.epoch === this._epoch;
        var recovered = method === "resume" && result.recovered === true && sameEpoch;
        this._epoch = result.epoch;
        this._features = uniqueStrings(params.features);
        this._subscription = result;
        var seq = typeof result.seq === "number" ? result.seq : 0;
        if (recovered) {
          var left = typeof result.replayed === "number" ? result.replayed : 0;
          // The replayed notifications carry seqs up to result.seq: keep the position at the
          // last one received until all have arrived, so a drop mid-replay resumes correctly.
          if (left > 0) this._replay = { left: left, seq: seq };
          else {
            this._replay = null;
            this._seq = Math.max(this._seq, seq);
          }
        } else {
          this._replay = null;
          this._seq = sameEpoch ? Math.max(this._seq, seq) : seq;
          this._info = {}; // a snapshot follows: the info is whole again from it
        }
        this.emit("subscribed", result);
        if ((method === "resume" || fresh) && !recovered) this.emit("reset", result);
      }

      _call(method, params, opts) {
        if (this._stopped) return Promise.reject(new ClosedError("Wardcast: the client was closed"));
        var id = this._nextId++;
        var frame = { jsonrpc: "2.0", id: id, method: method };
        if (params !== undefined) frame.params = params;
        var text;
        try {
          text = JSON.stringify(frame);
        } catch (err) {
          return Promise.reject(err);
        }
        if (byteLength(text) > MAX_CLIENT_FRAME) {
          return Promise.reject(new WardcastError("Wardcast: request larger than 64 KiB (the broker would close the connection)", { method: method }));
        }
        var self = this;
        return new Promise(function (resolve, reject) {
          var p = {
            id: id,
            method: method,
            text: text,
            resolve: resolve,
            reject: reject,
            sent: false,
            internal: !!opts.internal,
            onResult: opts.onResult || null,
            timer: null,
          };
          self._pending.set(id, p);
          var timeout = opts.timeout !== undefined && opts.timeout !== null ? num(opts.timeout, 0) : self.requestTimeout;
          if (timeout > 0) {
            p.timer = setTimeout(function () {
              if (self._pending.get(id) !== p) return;
              self._pending.delete(id);
              reject(new TimeoutError("Wardcast: " + method + " timed out after " + timeout + " ms", { method: method, timeout: timeout }));
            }, timeout);
          }
          if (self._isOpen()) self._transmit(p);
        });
      }

      _transmit(p) {
        try {
          this._socket.send(p.text);
          p.sent = true;
        } catch (_) {
          p.sent = false; // sent again on the next open
        }
      }

      _rejectAll(err) {
        var pending = this._pending;
        this._pending = new Map();
        pending.forEach(function (p) {
          if (p.timer) clearTimeout(p.timer);
          p.reject(err);
        });
      }

      // The socket is gone (closed by the broker, the network, or _drop()).
      _lost(info) {
        if (this._connectTimer) {
          clearTimeout(this._connectTimer);
          this._connectTimer = null;
        }
        this._ready = false;
        this._replay = null;
        var self = this;
        // Internal requests belong to the dead socket; user requests go out again on the next.
        this._pending.forEach(function (p, id) {
          if (p.internal) {
            self._pending.delete(id);
            if (p.timer) clearTimeout(p.timer);
            p.reject(new ConnectionError("Wardcast: connection lost"));
          } else {
            p.sent = false;
          }
        });
        var willReconnect = !this._stopped && this._reconnect !== null;
        var delay = null;
        if (willReconnect) {
          var r = this._reconnect;
          var base = Math.min(r.maxDelay, r.minDelay * Math.pow(r.factor, this._attempt));
          delay = Math.round(Math.min(r.maxDelay, Math.max(0, base * (1 + r.jitter * (2 * Math.random() - 1)))));
          this._attempt++;
          this._timer = setTimeout(function () {
            self._timer = null;
            if (!self._stopped) self.connect();
          }, delay);
        } else {
          this._stopped = true;
          this._rejectAll(new ClosedError("Wardcast: the connection closed (code " + info.code + ") and reconnect is off"));
        }
        this.emit("close", { code: info.code, reason: info.reason, wasClean: info.wasClean, willReconnect: willReconnect, delay: delay });
        if (this._timer || !willReconnect) this._setState(willReconnect ? "reconnecting" : "closed");
      }

      _onMessage(data) {
        if (typeof data !== "string") return; // the broker sends text frames only
        var msg;
        try {
          msg = JSON.parse(data);
        } catch (_) {
          return;
        }
        if (!msg || typeof msg !== "object") return;
        if (typeof msg.method === "string") {
          this._onNotification(msg.method, msg.params && typeof msg.params === "object" ? msg.params : {});
        } else if (hasOwn.call(msg, "id")) {
          this._onResponse(msg);
        }
      }

      _onResponse(msg) {
        var p = this._pending.get(msg.id);
        if (!p) return; // id null (an undecodable frame) or a request that timed out
        this._pending.delete(msg.id);
        if (p.timer) clearTimeout(p.timer);
        if (msg.error && typeof msg.error === "object") {
          p.reject(new RpcError(String(msg.error.message || "JSON-RPC error " + msg.error.code), {
            code: msg.error.code,
            data: msg.error.data,
            method: p.method,
          }));
          return;
        }
        if (p.onResult) {
          try {
            p.onResult(msg.result);
          } catch (err) {
            report(err);
          }
        }
        p.resolve(msg.result);
      }

      _onNotification(method, params) {
        var seq = params.seq;
        var replayed = false;
        if (typeof seq === "number" && params.snapshot !== true) {
          if (seq <= this._seq) return; // already delivered (seq rises strictly per connection)
          this._seq = seq;
          if (this._replay) {
            replayed = true;
            if (--this._replay.left <= 0) {
              this._seq = Math.max(this._seq, this._replay.seq);
              this._replay = null;
            }
          }
        }
        this.emit("notification", method, params);
        if (method === "onNewEvents") this._dispatchEvents(params, replayed);
        else if (method === "onInfoUpdates2") this._dispatchInfo(params);
        else if (method === "onError") this.emit("error", params.reason, params);
        else if (method === "onGameInfoUpdated") this.emit("gameinfo", omitSeq(params));
        // Unknown notification methods are ignored (protocol §11).
      }

      _dispatchEvents(params, replayed) {
        var events = Array.isArray(params.events) ? params.events : [];
        var wantAll = this.listenerCount("event") > 0;
        for (var i = 0; i < events.length; i++) {
          var ev = events[i];
          if (!ev || typeof ev.name !== "string") continue;
          if (!wantAll && this.listenerCount(ev.name) === 0) continue;
          var data = this.dataFormat === "string" ? decodeData(ev.data) : ev.data;
          var event = { name: ev.name, data: data, raw: ev.data, feature: params.feature, seq: params.seq };
          if (replayed) event.replayed = true;
          this.emit(ev.name, data, event);
          this.emit("event", event);
        }
      }

      _dispatchInfo(params) {
        var raw = params.info && typeof params.info === "object" ? params.info : {};
        var info = this.dataFormat === "string" ? decodeInfo(raw) : raw;
        var store = this._info;
        for (var category in info) {
          if (!hasOwn.call(info, category)) continue;
          var keys = info[category];
          if (!keys || typeof keys !== "object") continue;
          for (var key in keys) {
            if (!hasOwn.call(keys, key)) continue;
            if (keys[key] === null) {
              if (store[category]) {
                delete store[category][key];
                if (!Object.keys(store[category]).length) delete store[category];
              }
            } else {
              (store[category] || (store[category] = {}))[key] = keys[key];
            }
          }
        }
        this.emit("info:" + params.feature, info, params);
        this.emit("info", info, params);
      }
    }

    function listen(ws, name, fn) {
      if (typeof ws.addEventListener === "function") ws.addEventListener(name, fn);
      else ws["on" + name] = fn;
    }

    function isStringArray(v) {
      if (!Array.isArray(v)) return false;
      for (var i = 0; i < v.length; i++) if (typeof v[i] !== "string") return false;
      return true;
    }

    function copyOptions(o) {
      var out = {};
      if (o) for (var k in o) if (hasOwn.call(o, k)) out[k] = o[k];
      return out;
    }

    // ------------------------------------------------------------------ Overwolf shim

    var shim = null;

    function failure(err) {
      var message = (err && err.message) || String(err);
      return { success: false, status: "error", error: message, reason: message };
    }

    function callback(cb, value) {
      if (typeof cb === "function") callSafely(cb, null, [value]);
    }

    /**
     * Creates (or extends) globalThis.overwolf with overwolf.games.events.{setRequiredFeatures,
     * getInfo, onNewEvents, onInfoUpdates2, onError} and overwolf.games.{getRunningGameInfo,
     * getRunningGameInfo2, onGameInfoUpdated, onGameLaunched}, backed by a Wardcast client in
     * "string" dataFormat, so every payload is exactly Overwolf's. Options: those of Client
     * (url, token, source, WebSocket, reconnect, requestTimeout, connectTimeout), and target (the
     * object to install on, default globalThis). Installing twice returns the first install.
     * Returns {client, overwolf, uninstall()}.
     */
    function installOverwolfShim(options) {
      if (shim) return shim;
      var o = copyOptions(options);
      var target = o.target || root;
      delete o.target;
      o.dataFormat = "string";
      o.features = [];
      var client = new Client(o);

      var lists = {
        onNewEvents: new Set(),
        onInfoUpdates2: new Set(),
        onError: new Set(),
        onGameInfoUpdated: new Set(),
        onGameLaunched: new Set(),
      };
      function owEvent(set) {
        return {
          addListener: function (fn) {
            if (typeof fn === "function") set.add(fn); // a Set: adding twice delivers once
          },
          removeListener: function (fn) {
            set.delete(fn);
          },
        };
      }
      function fire(set, payload) {
        Array.from(set).forEach(function (fn) {
          if (set.has(fn)) callSafely(fn, null, [payload]);
        });
      }

      client.on("notification", function (method, params) {
        if (method === "onNewEvents") {
          fire(lists.onNewEvents, { events: params.events });
        } else if (method === "onInfoUpdates2") {
          fire(lists.onInfoUpdates2, { info: params.info, feature: params.feature });
        } else if (method === "onError") {
          fire(lists.onError, { reason: params.reason });
        } else if (method === "onGameInfoUpdated") {
          var payload = omitSeq(params);
          if (!hasOwn.call(payload, "focusChanged")) payload.focusChanged = false;
          if (!hasOwn.call(payload, "resolutionChanged")) payload.resolutionChanged = false;
          if (!hasOwn.call(payload, "gameOverlayChanged")) payload.gameOverlayChanged = false;
          fire(lists.onGameInfoUpdated, payload);
          var reasons = Array.isArray(params.reason) ? params.reason : [];
          if (params.gameInfo && params.gameInfo.isRunning && reasons.indexOf("gameLaunched") >= 0) {
            fire(lists.onGameLaunched, params.gameInfo);
          }
        }
      });

      var events = {
        setRequiredFeatures: function (features, cb) {
          client.subscribe(features).then(
            function (result) {
              callback(cb, result);
            },
            function (err) {
              var f = failure(err);
              f.supportedFeatures = [];
              callback(cb, f);
            }
          );
        },
        getInfo: function (cb) {
          client.getInfo().then(
            function (result) {
              callback(cb, result);
            },
            function (err) {
              callback(cb, failure(err));
            }
          );
        },
        onNewEvents: owEvent(lists.onNewEvents),
        onInfoUpdates2: owEvent(lists.onInfoUpdates2),
        onError: owEvent(lists.onError),
      };
      var games = {
        getRunningGameInfo: function (cb) {
          client.getRunningGameInfo().then(
            function (result) {
              callback(cb, result);
            },
            function (err) {
              callback(cb, failure(err));
            }
          );
        },
        getRunningGameInfo2: function (cb) {
          client.getRunningGameInfo().then(
            function (r) {
              var gameInfo = r && r.isRunning ? { isRunning: true, classId: r.classId, id: r.id, title: r.title } : null;
              callback(cb, { success: true, gameInfo: gameInfo });
            },
            function (err) {
              var f = failure(err);
              f.gameInfo = null;
              callback(cb, f);
            }
          );
        },
        onGameInfoUpdated: owEvent(lists.onGameInfoUpdated),
        onGameLaunched: owEvent(lists.onGameLaunched),
      };

      // Install, remembering what was there for uninstall().
      var restore = [];
      function put(obj, key, value) {
        restore.push({ obj: obj, key: key, had: hasOwn.call(obj, key), old: obj[key] });
        obj[key] = value;
      }
      var ow = target.overwolf;
      if (!ow || (typeof ow !== "object" && typeof ow !== "function")) {
        put(target, "overwolf", {});
        ow = target.overwolf;
      }
      if (!ow.games || typeof ow.games !== "object") put(ow, "games", {});
      var owGames = ow.games;
      if (!owGames.events || typeof owGames.events !== "object") put(owGames, "events", {});
      var owEvents = owGames.events;
      Object.keys(events).forEach(function (k) {
        put(owEvents, k, events[k]);
      });
      Object.keys(games).forEach(function (k) {
        put(owGames, k, games[k]);
      });

      var handle = {
        client: client,
        overwolf: ow,
        uninstall: function () {
          if (shim !== handle) return;
          shim = null;
          client.close();
          for (var i = restore.length - 1; i >= 0; i--) {
            var r = restore[i];
            if (r.had) r.obj[r.key] = r.old;
            else delete r.obj[r.key];
          }
          Object.keys(lists).forEach(function (k) {
            lists[k].clear();
          });
        },
      };
      shim = handle;
      return handle;
    }

    // <script src=".../wardcast.js?shim=1"> or <script data-overwolf-shim src=...>:
    // install the shim at once. data-url is honoured, and ?token= / data-token (as for
    // every client of the page, see defaultToken).
    function autoInstall(s) {
      if (!s) return;
      var attr = function (name) {
        return typeof s.getAttribute === "function" ? s.getAttribute(name) : null;
      };
      var truthy = function (v) {
        return v !== null && v !== undefined && v !== "0" && String(v).toLowerCase() !== "false";
      };
      var u = scriptUrl(s);
      var q = u ? u.searchParams : null;
      var want = truthy(attr("data-overwolf-shim")) || (q !== null && q.has("shim") && truthy(q.get("shim")));
      if (!want) return;
      var opts = {};
      var url = attr("data-url");
      if (url) opts.url = url;
      installOverwolfShim(opts);
    }

    return {
      VERSION: VERSION,
      Client: Client,
      Emitter: Emitter,
      WardcastError: WardcastError,
      TimeoutError: TimeoutError,
      RpcError: RpcError,
      ClosedError: ClosedError,
      ConnectionError: ConnectionError,
      installOverwolfShim: installOverwolfShim,
      _autoInstall: autoInstall,
    };
  }
);
